"""The compat layers in process, against the fake Airflow of both generations: value types,
argument errors raised before anything is sent, errors that are both the official classes and
airflow_bridge's, and the documented differences (warnings, derived fields)."""

from __future__ import annotations

import warnings
from datetime import datetime, timezone
from typing import Any

import pytest

from airflow_bridge import errors
from airflow_bridge.compat import v1, v2
from airflow_bridge.compat.v1.api.dag_run_api import DAGRunApi
from airflow_bridge.compat.v1.exceptions import ApiAttributeError, ApiException, NotFoundException
from airflow_bridge.compat.v1.model.dag_run import DAGRun
from airflow_bridge.compat.v1.model.update_dag_run_state import UpdateDagRunState
from airflow_bridge.compat.v2 import (
    DagRunApi,
    DAGRunPatchBody,
    DAGRunsBatchBody,
    DagRunState,
    TriggerDAGRunPostBody,
)
from airflow_bridge.testing import FakeAirflow

UTC = timezone.utc
WHEN = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def api_client(fake: FakeAirflow, module: Any) -> Any:
    configuration = module.Configuration(
        host=fake.base_url + "/api/v1", username="admin", password="admin"
    )
    configuration.transport = fake.transport()
    return module.ApiClient(configuration)


def test_v1_run_reads_like_the_official_model(fake_airflow: FakeAirflow) -> None:
    with api_client(fake_airflow, v1) as client:
        api = DAGRunApi(client)
        run = api.post_dag_run(
            "bridge_plain", DAGRun(dag_run_id="r1", execution_date=WHEN, conf={"k": [1]})
        )
        assert run.dag_run_id == run["dag_run_id"] == "r1"
        assert run.execution_date == run.logical_date == WHEN
        assert run.execution_date.tzinfo is not None
        assert run.state == "queued" and run.state.value == "queued" and str(run.state) == "queued"
        assert run.external_trigger is True and run.run_type == "manual"
        assert run.to_dict()["conf"] == {"k": [1]} and run.to_dict()["state"] == "queued"
        assert "dag_run_id" in run and run.get("nothing") is None
        with pytest.raises(ApiAttributeError, match="no attribute 'nothing'"):
            _ = run.nothing
        listed = api.get_dag_runs("bridge_plain", fields=["dag_run_id", "state"])
        assert listed.total_entries == 1
        assert sorted(listed.dag_runs[0].to_dict()) == ["dag_run_id", "state"]


def test_v1_trigger_without_a_date_is_dated_on_both_generations(fake_airflow: FakeAirflow) -> None:
    with api_client(fake_airflow, v1) as client:
        run = DAGRunApi(client).post_dag_run("bridge_plain", DAGRun(dag_run_id="undated"))
    assert isinstance(run.execution_date, datetime)


def test_v1_paging_by_offset_reports_the_total(fake_airflow: FakeAirflow) -> None:
    with api_client(fake_airflow, v1) as client:
        api = DAGRunApi(client)
        for minute in range(5):
            day = WHEN.replace(minute=minute)
            api.post_dag_run("bridge_plain", DAGRun(dag_run_id=f"p{minute}", execution_date=day))
        page = api.get_dag_runs("bridge_plain", limit=2, offset=3, order_by="execution_date")
    assert [r.dag_run_id for r in page.dag_runs] == ["p3", "p4"]
    assert page.total_entries == 5


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda api: api.post_dag_run("d", DAGRun(state="failed")), "state cannot be sent"),
        (lambda api: api.post_dag_run("d", UpdateDagRunState()), "needs a DAGRun"),
        (lambda api: api.get_dag_runs("d", execution_date_gte=datetime(2024, 1, 1)), "naive"),
        (lambda api: api.get_dag_runs("d", async_req=True), "unexpected keyword"),
        (lambda api: api.get_dag_run("d", "r", fields=["bogus"]), "unknown DAGRun field"),
        (
            lambda api: api.post_dag_run(
                "d", DAGRun(logical_date=WHEN, execution_date=WHEN.replace(year=2023))
            ),
            "differ",
        ),
    ],
)
def test_v1_bad_arguments_fail_before_anything_is_sent(call: Any, error: str) -> None:
    fake = FakeAirflow("3.3.2")
    with api_client(fake, v1) as client, pytest.raises((TypeError, ValueError), match=error):
        call(DAGRunApi(client))
    assert [r for r in fake.requests if "/dagRuns" in str(r)] == []


def test_v1_refuses_a_state_the_official_model_refuses() -> None:
    with pytest.raises(ValueError, match="must be one of"):
        UpdateDagRunState(state="running")


def test_errors_are_official_and_airflow_bridge_errors(fake_airflow: FakeAirflow) -> None:
    with api_client(fake_airflow, v1) as client, pytest.raises(NotFoundException) as caught:
        DAGRunApi(client).get_dag_run("bridge_plain", "missing")
    error = caught.value
    assert isinstance(error, ApiException) and isinstance(error, errors.NotFound)
    assert error.status == 404 and error.reason == "Not Found"
    assert isinstance(error.body, bytes) and b"missing" in error.body
    assert "json" in error.headers["content-type"]
    with api_client(fake_airflow, v2) as client:
        api = DagRunApi(client)
        api.trigger_dag_run(
            "bridge_plain", TriggerDAGRunPostBody(dag_run_id="x", logical_date=WHEN)
        )
        with pytest.raises(v2.ConflictException) as conflict:
            api.trigger_dag_run(
                "bridge_plain", TriggerDAGRunPostBody(dag_run_id="x", logical_date=WHEN)
            )
    assert conflict.value.status == 409 and isinstance(conflict.value, errors.Conflict)
    assert isinstance(conflict.value.body, str)


def test_v2_models_read_like_pydantic_ones(fake_airflow: FakeAirflow) -> None:
    with api_client(fake_airflow, v2) as client:
        api = DagRunApi(client)
        run = api.trigger_dag_run(
            "bridge_plain", TriggerDAGRunPostBody(dag_run_id="r", logical_date=WHEN, note="n")
        )
        assert run.state is DagRunState.QUEUED and run.note == "n"
        patched = api.patch_dag_run("bridge_plain", "r", DAGRunPatchBody(state="failed", note="m"))
        assert (patched.state, patched.note) == (DagRunState.FAILED, "m")
        only_note = api.patch_dag_run(
            "bridge_plain", "r", DAGRunPatchBody(state="success", note="o"), update_mask=["note"]
        )
        assert (only_note.state, only_note.note) == (DagRunState.FAILED, "o")
        assert run.bundle_version is None or isinstance(run.bundle_version, str)
        assert all(value is not None for value in run.to_dict().values())


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (
            lambda api: api.patch_dag_run(
                "d", "r", DAGRunPatchBody(note=None), update_mask=["note"]
            ),
            "clearing it",
        ),
        (
            lambda api: api.patch_dag_run("d", "r", DAGRunPatchBody(), update_mask=["conf"]),
            "only state and note",
        ),
        (lambda api: api.get_list_dag_runs_batch("etl", DAGRunsBatchBody()), 'must be "~"'),
        (lambda api: api.get_dag_runs("d", conf_contains="x"), "unexpected keyword"),
    ],
)
def test_v2_bad_arguments_fail_before_anything_is_sent(call: Any, error: str) -> None:
    fake = FakeAirflow("2.10.5")
    with api_client(fake, v2) as client, pytest.raises((TypeError, ValueError), match=error):
        call(DagRunApi(client))
    assert [r for r in fake.requests if "/dagRuns" in str(r)] == []


def test_v2_trigger_without_a_date_warns_on_airflow_2() -> None:
    with api_client(FakeAirflow("2.10.5"), v2) as client, pytest.warns(UserWarning, match="now"):
        run = DagRunApi(client).trigger_dag_run("bridge_plain", TriggerDAGRunPostBody())
    assert run.logical_date is not None


def test_v2_trigger_without_a_date_is_undated_on_airflow_3() -> None:
    with api_client(FakeAirflow("3.3.2"), v2) as client, warnings.catch_warnings():
        warnings.simplefilter("error")
        run = DagRunApi(client).trigger_dag_run("bridge_plain", TriggerDAGRunPostBody())
    assert run.logical_date is None


def test_configuration_keeps_secrets_out_of_its_repr() -> None:
    configuration = v2.Configuration(host="http://h", username="u", password="hunter2")
    configuration.access_token = "tok-secret"
    assert "hunter2" not in repr(configuration) and "tok-secret" not in repr(configuration)
    with pytest.raises(ValueError, match="not both"):
        v2.ApiClient(configuration).bridge  # noqa: B018


def test_upstream_events_in_each_layers_names(fake_airflow: FakeAirflow) -> None:
    with api_client(fake_airflow, v1) as client:
        api = DAGRunApi(client)
        api.post_dag_run("bridge_producer", DAGRun(dag_run_id="made", execution_date=WHEN))
        fake_airflow.advance("made", dag_id="bridge_producer")  # its asset event fires
        consumer = api.get_dag_runs("bridge_consumer").dag_runs[0]
        assert consumer.run_type == "dataset_triggered"  # the 2.x name, on both generations
        # 3.3.2 answers 500 for the events of a created run that has not started (recorded).
        fake_airflow.advance(consumer.dag_run_id, to="running", dag_id="bridge_consumer")
        events = api.get_upstream_dataset_events("bridge_consumer", consumer.dag_run_id)
        (event,) = events.dataset_events
        assert (events.total_entries, event.dataset_uri) == (1, "bridge://datasets/one")
        assert (event.source_dag_id, event.source_run_id) == ("bridge_producer", "made")
        assert event.created_dagruns[0].run_id == consumer.dag_run_id
    with api_client(fake_airflow, v2) as client:
        response = DagRunApi(client).get_upstream_asset_events(
            "bridge_consumer", consumer.dag_run_id
        )
        (asset_event,) = response.asset_events
        assert (asset_event.uri, asset_event.source_run_id) == ("bridge://datasets/one", "made")
        assert asset_event.created_dagruns[0].run_id == consumer.dag_run_id


@pytest.mark.parametrize("version", ["2.10.5", "3.3.2"])
def test_an_empty_dag_ids_lists_every_dag_as_the_official_clients_server_does(
    version: str,
) -> None:
    """The batch list reads `dag_ids: []` as every DAG (2.10.5 and 3.3.2, seen live through
    the official clients), while the facade's `dag_ids=[]` matches no run."""
    from airflow_bridge.compat.v1.model.list_dag_runs_form import ListDagRunsForm

    fake = FakeAirflow(version)
    for dag_id, minute in (("bridge_plain", 1), ("bridge_failing", 2)):
        fake.add_run(dag_id, f"every-{minute}", logical_date=WHEN.replace(minute=minute))
    with api_client(fake, v1) as client:
        form = ListDagRunsForm(dag_ids=[])
        assert DAGRunApi(client).get_dag_runs_batch(form).total_entries == 2
    with api_client(fake, v2) as client:
        batch = DagRunApi(client).get_list_dag_runs_batch("~", DAGRunsBatchBody(dag_ids=[]))
        assert batch.total_entries == 2
