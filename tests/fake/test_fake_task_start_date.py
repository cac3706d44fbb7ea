"""A run dated before its DAG's start_date gets no task instances (DagRun.verify_integrity's
task filter; dags/ start every bridge DAG on 2024-01-01). Seen on live 2.10.5 and 3.3.2 for
a bridge_plain run dated 2023: no task instances, an empty dry-run clear, NotFound for a
task's log and for the task, and the run still succeeds. A task instance the server lacks
is worded as one whether or not its run exists. test_fake_task_start_date_real.py compares
the fakes with the live servers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from raw_http import raw_fake, run_path

from airflow_bridge import Client
from airflow_bridge.errors import NotFound
from airflow_bridge.testing import DagSpec, FakeAirflow

BEFORE = datetime(2023, 7, 1, tzinfo=timezone.utc)
AFTER = datetime(2024, 1, 1, tzinfo=timezone.utc)  # the start_date itself: included


@pytest.fixture(params=["2.10.5", "3.3.2"])
def fake(request: pytest.FixtureRequest) -> FakeAirflow:
    return FakeAirflow(request.param)


@pytest.fixture
def client(fake: FakeAirflow) -> Iterator[Client]:
    with Client(
        fake.base_url, username="admin", password="admin", transport=fake.transport()
    ) as client:
        yield client


def test_a_run_before_the_start_date_has_no_task_instances(
    fake: FakeAirflow, client: Client
) -> None:
    client.dag_runs.trigger("bridge_plain", run_id="early", logical_date=BEFORE)
    fake.advance("early", to="success")
    tis = client.task_instances
    assert tis.list("bridge_plain", "early") == []
    assert list(tis.clear("bridge_plain", "early").task_instances) == []
    with pytest.raises(NotFound):
        tis.logs("bridge_plain", "early", "first")
    with pytest.raises(NotFound):
        tis.get("bridge_plain", "early", "first")


def test_a_run_on_the_start_date_has_its_task_instances(fake: FakeAirflow, client: Client) -> None:
    client.dag_runs.trigger("bridge_plain", run_id="on-time", logical_date=AFTER)
    fake.advance("on-time", to="success")
    listed = client.task_instances.list("bridge_plain", "on-time")
    assert [(ti.task_id, ti.state) for ti in listed] == [
        ("first", "success"),
        ("second", "success"),
    ]


def test_the_scheduler_succeeds_an_early_run_of_a_failing_dag_and_an_early_producer_emits_nothing(
    fake: FakeAirflow, client: Client
) -> None:
    """Nothing ran, so nothing failed and no asset was updated: a failure and an outlet's
    event come from a task instance (read in 2.10.5's and 3.3.2's source; not tried live,
    where an event would start a consumer run on the shared servers). The early
    bridge_plain run's success is seen live (test_fake_task_start_date_real.py)."""
    client.dags.unpause("bridge_failing")
    client.dag_runs.trigger("bridge_failing", run_id="early-failing", logical_date=BEFORE)
    client.dag_runs.trigger("bridge_producer", run_id="early-producer", logical_date=BEFORE)
    fake.auto = 1
    for run_id in ("early-failing", "early-producer"):
        dag_id = "bridge_" + run_id.removeprefix("early-")
        assert client.dag_runs.wait(dag_id, run_id, interval=0.001).state == "success"
    assert fake.store.events == []
    assert [r.dag_id for r in fake.store.all_runs()] == ["bridge_failing", "bridge_producer"]


def test_a_dag_spec_without_a_start_date_schedules_every_run(client: Client) -> None:
    fake = FakeAirflow("3.3.2", dags=[DagSpec("etl", task_ids=("a",))])
    with Client(
        fake.base_url, username="admin", password="admin", transport=fake.transport()
    ) as own:
        own.dag_runs.trigger(
            "etl", run_id="old", logical_date=datetime(1999, 1, 1, tzinfo=timezone.utc)
        )
        assert [ti.task_id for ti in own.task_instances.list("etl", "old")] == ["a"]


def test_an_undated_airflow_3_run_has_its_task_instances() -> None:
    fake = FakeAirflow("3.3.2")
    with Client(
        fake.base_url, username="admin", password="admin", transport=fake.transport()
    ) as client:
        run = client.dag_runs.trigger("bridge_plain", run_id="undated")
        assert run.logical_date is None
        assert len(client.task_instances.list("bridge_plain", "undated")) == 2


@pytest.mark.parametrize("run_id", ["no-such-run", "early"])
def test_a_task_the_server_lacks_is_worded_as_one_with_or_without_its_run(
    fake: FakeAirflow, client: Client, run_id: str
) -> None:
    """The task instance is looked up alone (live 2.10.5 and 3.3.2, for a run that does not
    exist and for one dated before the start_date)."""
    client.dag_runs.trigger("bridge_plain", run_id="early", logical_date=BEFORE)
    path = run_path(fake.api, "bridge_plain", run_id) + "/taskInstances/first"
    with raw_fake(fake) as http:
        got, logs = http.get(path), http.get(path + "/logs/1")
    assert got.status_code == logs.status_code == 404
    if fake.api == "v1":
        assert (got.json()["title"], got.json()["detail"]) == ("Task instance not found", None)
        assert (logs.json()["title"], logs.json()["detail"]) == ("TaskInstance not found", None)
    else:
        assert got.json() == {
            "detail": f"The Task Instance with dag_id: `bridge_plain`, run_id: `{run_id}` and "
            "task_id: `first` was not found"
        }
        assert logs.json() == {"detail": "TaskInstance not found"}
