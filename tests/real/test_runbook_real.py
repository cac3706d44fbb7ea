"""The runbook beyond the run, live on Airflow 2.10.5 and 3.3.2 with their schedulers: pause
state, a run whose task really fails, its failed task instance, the failure message in its
log, clearing it and the run re-queued; the same code and equal normalized results on both.

`bridge_failing` (dags/v1 and dags/v2) is: setup >> explode >> after, where `explode`
raises `RuntimeError(BRIDGE_FAILURE)`. The run has a unique id and is deleted at the end;
the DAG is left paused, as it is created.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from airflow_bridge import Client
from airflow_bridge.errors import Conflict

pytestmark = pytest.mark.real

DAG = "bridge_failing"
BRIDGE_FAILURE = "bridge_failing: planned failure for the runbook tests"
RESULTS: dict[str, dict[str, Any]] = {}


def _client(server: dict[str, Any]) -> Client:
    return Client(
        str(server["base_url"]),
        username=str(server["username"]),
        password=str(server["password"]),
        timeout=120,
    )


def _wait_state(client: Client, run_id: str, states: set[str], timeout: float = 180) -> str:
    deadline = time.monotonic() + timeout
    while True:
        state = str(client.dag_runs.get(DAG, run_id).state)
        if state in states or time.monotonic() > deadline:
            return state
        time.sleep(1)


def run_runbook(server: dict[str, Any]) -> dict[str, Any]:
    """The runbook, once; returns what must be equal on both generations."""
    seen: dict[str, Any] = {}
    run_id = f"runbook_{uuid.uuid4().hex[:12]}"
    with _client(server) as client:
        paused = client.dags.pause(DAG)
        seen["paused"] = paused.is_paused
        dag = client.dags.get(DAG)
        seen["dag"] = (dag.dag_id, dag.is_paused, dag.is_active, dag.tags, dag.owners)
        seen["schedule"] = dag.schedule
        listed = client.dags.list(paused=True, dag_id_pattern="bridge_fail")
        seen["listed_paused"] = [d.dag_id for d in listed]
        seen["listed_tagged"] = DAG in [d.dag_id for d in client.dags.list(tags=["bridge"])]
        try:
            client.dag_runs.trigger(DAG, run_id=run_id)
            time.sleep(3)  # a paused DAG's run is queued and stays so
            seen["while_paused"] = str(client.dag_runs.get(DAG, run_id).state)
            seen["unpaused"] = client.dags.unpause(DAG).is_paused
            run = client.dag_runs.wait(DAG, run_id, timeout=180, interval=1)
            seen["run"] = str(run.state)
            tis = {ti.task_id: ti for ti in client.task_instances.list(DAG, run_id)}
            seen["states"] = {task: str(ti.state) for task, ti in sorted(tis.items())}
            seen["tries"] = {task: ti.try_number for task, ti in sorted(tis.items())}
            failed = client.task_instances.failed(DAG, run_id)
            seen["failed"] = [
                (ti.task_id, ti.map_index, ti.try_number, ti.operator) for ti in failed
            ]
            got = client.task_instances.get(DAG, run_id, "explode")
            seen["get"] = (got.task_id, str(got.state), got.queue, got.pool)
            records = client.task_instances.logs(DAG, run_id, "explode")
            hits = [r for r in records if BRIDGE_FAILURE in r.message]
            seen["failure_in_log"] = bool(hits)
            seen["failure_level"] = sorted({r.level for r in hits if r.level})
            seen["no_log_before_first_try"] = client.task_instances.logs(DAG, run_id, "after")
            dry = client.task_instances.clear(
                DAG, run_id, task_ids=["explode"], include_downstream=True
            )
            seen["dry_run"] = sorted((ti.task_id, ti.map_index) for ti in dry.task_instances)
            seen["still_failed"] = str(client.dag_runs.get(DAG, run_id).state)
            cleared = client.task_instances.clear(DAG, run_id, only_failed=True, dry_run=False)
            seen["cleared"] = sorted(ti.task_id for ti in cleared.task_instances)
            # queued or already running again, as the scheduler's timing falls: both count
            state = _wait_state(client, run_id, {"queued", "running"}, timeout=10)
            seen["requeued"] = state in ("queued", "running")
            again = client.dag_runs.wait(DAG, run_id, timeout=180, interval=1)
            seen["second_run"] = str(again.state)
            second = client.task_instances.get(DAG, run_id, "explode")
            seen["second_try"] = (str(second.state), second.try_number)
            latest = client.task_instances.logs(DAG, run_id, "explode")
            seen["failure_in_try_2"] = any(BRIDGE_FAILURE in r.message for r in latest)
            first = client.task_instances.logs(DAG, run_id, "explode", try_number=1)
            seen["failure_in_try_1"] = any(BRIDGE_FAILURE in r.message for r in first)
        finally:
            client.dags.pause(DAG)
            for _ in range(30):
                try:
                    client.dag_runs.delete(DAG, run_id)
                    break
                except Conflict:  # 3.3.2 refuses to delete a run while it runs
                    time.sleep(2)
    return seen


def test_runbook(live_server: dict[str, Any]) -> None:
    seen = run_runbook(live_server)
    RESULTS[str(live_server["version"])] = seen
    assert seen["paused"] is True
    assert seen["dag"] == (DAG, True, True, ("bridge",), ("airflow",))
    assert seen["schedule"] == "Never, external triggers only"
    assert seen["listed_paused"] == [DAG]
    assert seen["listed_tagged"] is True
    assert seen["while_paused"] == "queued"
    assert seen["unpaused"] is False
    assert seen["run"] == "failed"
    assert seen["states"] == {"after": "upstream_failed", "explode": "failed", "setup": "success"}
    # an EmptyOperator the scheduler marked success counts a try from 2.10 (2.9.3: 0)
    version = tuple(int(p) for p in str(live_server["version"]).split(".")[:2])
    setup_tries = 1 if version >= (2, 10) else 0
    assert seen["tries"] == {"after": 0, "explode": 1, "setup": setup_tries}
    assert seen["failed"] == [("explode", -1, 1, "PythonOperator")]
    assert seen["get"] == ("explode", "failed", "default", "default_pool")
    assert seen["failure_in_log"] is True
    assert seen["failure_level"] == ["error"]
    assert seen["no_log_before_first_try"] == []
    assert seen["dry_run"] == [("after", -1), ("explode", -1)]
    assert seen["still_failed"] == "failed"
    # only_failed: upstream_failed too; 2.6 answers [] (it runs its query again after clearing)
    assert seen["cleared"] == ([] if version < (2, 7) else ["after", "explode"])
    assert seen["requeued"] is True
    assert seen["second_run"] == "failed"
    assert seen["second_try"] == ("failed", 2)
    assert seen["failure_in_try_2"] is True
    assert seen["failure_in_try_1"] is True


def test_same_results_on_both_generations() -> None:
    if len(RESULTS) < 2:
        pytest.skip("needs test_runbook on both servers first (run the whole file)")
    first, *others = RESULTS.values()
    for other in others:
        assert other == first
