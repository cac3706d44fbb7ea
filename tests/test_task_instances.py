"""client.dags and client.task_instances against answers recorded from live 2.10.5 and 3.3.2
(tests/data/runbook_live.json: a bridge_failing run whose `explode` task failed; recorded
with `Accept: application/json`). Each call must send exactly the recorded request, and
both generations must give equal normalized results.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from airflow_bridge.adapters import V1Adapter, V2Adapter, _dags, _task_instances

from airflow_bridge import Client
from airflow_bridge.errors import InvalidArgument, NotFound, UnsupportedOperation
from airflow_bridge.models import ServerInfo

DATA = json.loads((Path(__file__).parent / "data" / "runbook_live.json").read_text())
FAILURE = "bridge_failing: planned failure for the runbook tests"
RUN = {"2.10.5": "probe_aea2c801", "3.3.2": "probe_b61e1067"}
API = {"2.10.5": "v1", "3.3.2": "v2"}


class Recorded:
    """Serves the recorded exchanges; any request not recorded fails the test."""

    def __init__(self, version: str) -> None:
        self.prefix = f"/api/{API[version]}"
        self.exchanges = {e["name"]: e for e in DATA[version]}
        self.sent: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        path = request.url.raw_path.decode()
        body = json.loads(request.content) if request.content else None
        for exchange in self.exchanges.values():
            want = exchange["request"]
            if (request.method, path, body) == (
                want["method"],
                self.prefix + want["path"].removeprefix(self.prefix),
                want["json"],
            ):
                answer = exchange["response"]
                return httpx.Response(answer["status"], json=answer["body"])
        raise AssertionError(f"not a recorded request: {request.method} {path} {body}")


def client_for(version: str) -> tuple[Client, Recorded]:
    served = Recorded(version)
    client = Client(
        "http://airflow.test",
        token="t",
        api=API[version],  # type: ignore[arg-type]
        transport=httpx.MockTransport(served),
        retries=0,
    )
    return client, served


def runbook(version: str) -> dict[str, Any]:
    client, served = client_for(version)
    run = RUN[version]
    dag = client.dags.get("bridge_failing")
    listed = client.dags.list(paused=True, dag_id_pattern="bridge_fail")
    tis = client.task_instances.list("bridge_failing", run)
    failed = client.task_instances.failed("bridge_failing", run)
    ti = client.task_instances.get("bridge_failing", run, "explode")
    records = client.task_instances.logs("bridge_failing", run, "explode", try_number=1)
    dry = client.task_instances.clear(
        "bridge_failing", run, task_ids=["explode"], include_downstream=True
    )
    with pytest.raises(NotFound):
        client.task_instances.get("bridge_failing", run, "nosuch")
    logs_sent = [r for r in served.sent if "/logs/" in r.url.path]
    assert [r.headers["accept"] for r in logs_sent] == ["application/json"]
    hits = [r for r in records if FAILURE in r.message]
    return {
        "dag": (dag.dag_id, dag.is_paused, dag.is_active, dag.tags, dag.owners, dag.schedule),
        "listed": [d.dag_id for d in listed],
        "tis": sorted((t.task_id, t.map_index, str(t.state), t.try_number) for t in tis),
        "failed": [(t.task_id, t.operator, t.queue, t.pool, t.note) for t in failed],
        "ti": (ti.run_id == run, str(ti.state), ti.hostname, ti.duration is not None),
        "failure_logged": sorted({(r.level, r.source is not None) for r in hits}),
        "dry": sorted((c.task_id, c.map_index) for c in dry.task_instances),
    }


@pytest.mark.parametrize("version", sorted(DATA))
def test_each_call_sends_the_recorded_request(version: str) -> None:
    seen = runbook(version)
    assert seen["dag"][0] == "bridge_failing"
    assert seen["failed"] == [("explode", "PythonOperator", "default", "default_pool", None)]
    assert seen["failure_logged"] == [("error", True)]


def test_both_generations_give_equal_results() -> None:
    assert runbook("2.10.5") == runbook("3.3.2")


def test_unknown_fields_are_kept_in_extra() -> None:
    client, _ = client_for("3.3.2")
    ti = client.task_instances.get("bridge_failing", RUN["3.3.2"], "explode")
    assert ti.extra["dag_version"]["version_number"] == 1  # 3.x only
    client, _ = client_for("2.10.5")
    assert client.dags.get("bridge_failing").extra["default_view"] == "grid"  # 2.x only


def test_airflow2_text_becomes_records_with_the_traceback_in_the_message() -> None:
    client, _ = client_for("2.10.5")
    records = client.task_instances.logs("bridge_failing", RUN["2.10.5"], "explode", try_number=1)
    error = next(r for r in records if r.message.startswith("Task failed with exception"))
    assert error.level == "error" and error.source == "taskinstance.py:3313"
    assert error.timestamp is not None and error.timestamp.tzinfo is not None
    assert f"RuntimeError: {FAILURE}" in error.message  # the traceback lines joined it
    assert records[0].message == "::group::Log message source details"


def test_airflow2_token_says_the_log_ended() -> None:
    body = next(e for e in DATA["2.10.5"] if e["name"] == "logs")["response"]["body"]
    assert _task_instances._end_of_log(body["continuation_token"]) is True
    assert _task_instances._end_of_log("not-a-token") is None


def test_a_try_that_never_ran_reads_no_log_without_asking() -> None:
    tis = next(e for e in DATA["3.3.2"] if e["name"] == "tis")["response"]["body"]
    after = next(t for t in tis["task_instances"] if t["task_id"] == "after")
    sent: list[str] = []

    def serve(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        return httpx.Response(200, json=after)

    client = Client("http://x", token="t", api="v2", transport=httpx.MockTransport(serve))
    assert client.task_instances.logs("bridge_failing", RUN["3.3.2"], "after") == []
    assert sent == ["/api/v2/dags/bridge_failing/dagRuns/probe_b61e1067/taskInstances/after"]


def refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"nothing should be sent: {request.url}")


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.task_instances.logs("d", "r", "t", try_number=0),
        lambda c: c.task_instances.logs("d", "r", "t", map_index=-2),
        lambda c: c.task_instances.list("d", "r", states=["exploded"]),
        lambda c: c.task_instances.list("d", "r", states="failed"),
        lambda c: c.task_instances.clear("d", "r", dry_run="no"),
        lambda c: c.task_instances.clear("d", "r", task_ids=[]),
        lambda c: c.task_instances.get("d", "r/x", "t"),
        lambda c: c.dags.list(paused="yes"),
        lambda c: c.dags.get(""),
    ],
)
def test_argument_errors_are_raised_before_anything_is_sent(call: Any) -> None:
    client = Client("http://x", token="t", transport=httpx.MockTransport(refuse))
    with pytest.raises(InvalidArgument):
        call(client)


@pytest.mark.parametrize(
    ("version", "build", "added"),
    [
        (
            "2.5.3",
            lambda a: _dags.list_dags(a, _dags.DagQuery(paused=True), offset=0, limit=1),
            "2.6.0",
        ),
        (
            "2.1.4",
            lambda a: _dags.list_dags(a, _dags.DagQuery(tags=("x",)), offset=0, limit=1),
            "2.2.0",
        ),
        (
            "2.2.5",
            lambda a: _dags.list_dags(a, _dags.DagQuery(dag_id_pattern="x"), offset=0, limit=1),
            "2.3.0",
        ),
        ("2.2.5", lambda a: _task_instances.get_ti(a, "d", "r", "t", map_index=3), "2.3.0"),
        (
            "2.3.4",
            lambda a: _task_instances.clear(
                a,
                "d",
                "r",
                task_ids=None,
                only_failed=True,
                include_downstream=False,
                reset_dag_run=True,
                dry_run=True,
            ),
            "2.4.0",
        ),
    ],
)
def test_old_releases_are_refused_before_sending(version: str, build: Any, added: str) -> None:
    adapter = V1Adapter(ServerInfo(base_url="http://x", api="v1", version=version))
    with pytest.raises(UnsupportedOperation, match=added.removesuffix(".0")):
        build(adapter)
    newest = V2Adapter(ServerInfo(base_url="http://x", api="v2", version="3.0.0"))
    build(newest)  # every row is there from 3.0.0
