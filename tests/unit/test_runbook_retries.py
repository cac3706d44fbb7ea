"""The declared retry rules of `client.dags` and `client.task_instances` (issue 11), on the
fake's 2.10.5 and 3.3.2: reads and the absolute pause are resent after a dropped answer or a
503; a real task-instance clear is not (its rule says why), a dry run is."""

from __future__ import annotations

import pytest

from airflow_bridge import Client
from airflow_bridge.errors import ServerError, TransportError
from airflow_bridge.retries import OPERATION_RULES, Event, RetryPolicy
from airflow_bridge.testing import FakeAirflow

VERSIONS = ("2.10.5", "3.3.2")
QUICK = RetryPolicy(attempts=3, backoff=0.0)


def client_for(fake: FakeAirflow, events: list[Event]) -> Client:
    return Client(
        fake.base_url,
        username="admin",
        password="admin",
        transport=fake.transport(),
        retries=QUICK,
        on_event=events.append,
    )


def failed_run(fake: FakeAirflow, client: Client, run_id: str) -> None:
    client.dags.unpause("bridge_failing")
    client.dag_runs.trigger("bridge_failing", run_id=run_id)
    fake.advance(run_id, "failed")


def sent(events: list[Event], operation: str) -> int:
    return sum(1 for e in events if e.kind == "request" and e.operation == operation)


@pytest.mark.parametrize("version", VERSIONS)
def test_reads_and_pause_are_resent(version: str) -> None:
    fake = FakeAirflow(version)
    events: list[Event] = []
    with client_for(fake, events) as client:
        failed_run(fake, client, "rr-1")
        fake.inject("patch_dag", drop=True)
        assert client.dags.pause("bridge_failing").is_paused is True
        fake.inject("get_dag", status=503)
        assert client.dags.get("bridge_failing").is_paused is True
        fake.inject("list_task_instances", drop=True)
        assert client.task_instances.failed("bridge_failing", "rr-1")
        fake.inject("get_task_instance", status=503)
        ti = client.task_instances.get("bridge_failing", "rr-1", "explode")
        fake.inject("task_logs", status=502)
        assert client.task_instances.logs("bridge_failing", "rr-1", "explode", try_number=1)
    assert ti.task_id == "explode"
    for operation in ("dags.pause", "dags.get", "task_instances.list", "task_instances.get"):
        assert sent(events, operation) >= 2, operation  # the failed attempt, then the resend
    assert sent(events, "task_instances.logs") == 2


@pytest.mark.parametrize("version", VERSIONS)
def test_a_real_clear_is_not_resent_after_a_lost_answer(version: str) -> None:
    fake = FakeAirflow(version)
    events: list[Event] = []
    with client_for(fake, events) as client:
        failed_run(fake, client, "rr-2")
        fake.inject("clear_task_instances", drop=True)
        with pytest.raises(TransportError):
            client.task_instances.clear("bridge_failing", "rr-2", only_failed=True, dry_run=False)
        fake.inject("clear_task_instances", status=503)
        with pytest.raises(ServerError):
            client.task_instances.clear("bridge_failing", "rr-2", only_failed=True, dry_run=False)
        assert sent(events, "task_instances.clear") == 2  # one attempt each, never resent
        fake.inject("clear_task_instances", status=429, retry_after=0)
        cleared = client.task_instances.clear(
            "bridge_failing", "rr-2", only_failed=True, dry_run=False
        )
        assert sent(events, "task_instances.clear") == 4  # a 429 reached nothing: retried
        assert sorted(ti.task_id for ti in cleared.task_instances) == ["after", "explode"]


@pytest.mark.parametrize("version", VERSIONS)
def test_a_dry_run_clear_is_resent(version: str) -> None:
    fake = FakeAirflow(version)
    events: list[Event] = []
    with client_for(fake, events) as client:
        failed_run(fake, client, "rr-3")
        fake.inject("clear_task_instances", drop=True)
        dry = client.task_instances.clear("bridge_failing", "rr-3", only_failed=True)
    assert sorted(ti.task_id for ti in dry.task_instances) == ["after", "explode"]
    assert sent(events, "task_instances.clear_dry_run") == 2
    assert fake.state("rr-3") == "failed"  # the dry run changed nothing


def test_the_runbook_rules_are_declared() -> None:
    assert OPERATION_RULES["task_instances.clear"].repeatable is False
    assert all(
        OPERATION_RULES[name].repeatable
        for name in OPERATION_RULES
        if name.startswith(("dags.", "task_instances.")) and name != "task_instances.clear"
    )
