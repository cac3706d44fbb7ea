"""client.dags and client.task_instances against the live recordings of 2.10.5 and 3.3.2
(fixtures/<version>/dag_*, ti_*, clear_ti_*: a bridge_failing run whose `explode` task
failed; logs asked with `Accept: application/json`). Each call must send the recorded
request (up to paging parameters and body fields the server defaults to the same value),
and both generations must give equal normalized results.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from airflow_bridge.adapters import V1Adapter, V2Adapter, _dags, _task_instances

from airflow_bridge import Client
from airflow_bridge.errors import InvalidArgument, NotFound, UnsupportedOperation
from airflow_bridge.models import ServerInfo

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SCENARIOS = ("dag_get", "dags_list_pattern", "ti_list", "ti_list_failed", "ti_get")
SCENARIOS += ("ti_get_not_found", "ti_logs", "clear_ti_dry_run")
DATA = {
    version: {
        name: json.loads((FIXTURES / version / f"{name}.json").read_text()) for name in SCENARIOS
    }
    for version in ("2.10.5", "3.3.2")
}
FAILURE = "bridge_failing: planned failure for the runbook tests"
RUN = {
    version: unquote(data["ti_get"]["request"]["path"].split("/dagRuns/")[1].split("/")[0])
    for version, data in DATA.items()
}
API = {"2.10.5": "v1", "3.3.2": "v2"}
PAGING = frozenset({"limit", "offset"})
#: clearTaskInstances body fields the library always sends, at the servers' own defaults
#: (2.10 and 3.3 request schemas)
CLEAR_DEFAULTS = {"include_downstream": False, "reset_dag_runs": True}


class Recorded:
    """Serves the recorded exchanges; any request not recorded fails the test."""

    def __init__(self, version: str) -> None:
        self.exchanges = DATA[version]
        self.sent: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        path = request.url.raw_path.decode().split("?")[0]
        query = sorted((k, v) for k, v in request.url.params.multi_items() if k not in PAGING)
        body = json.loads(request.content) if request.content else None
        for exchange in self.exchanges.values():
            want = exchange["request"]
            recorded = sorted((k, v) for k, v in want["query"] if k not in PAGING)
            if (request.method, path, query) == (want["method"], want["path"], recorded) and (
                same_body(body, want["body"])
            ):
                answer = exchange["response"]
                return httpx.Response(answer["status"], json=answer["body"])
        raise AssertionError(f"not a recorded request: {request.method} {path} {query} {body}")


def same_body(sent: Any, recorded: Any) -> bool:
    """The recorded fields sent as recorded; anything more only at the server's default."""
    if sent is None or recorded is None:
        return sent == recorded
    extra = {k: v for k, v in sent.items() if k not in recorded}
    return all(sent.get(k) == v for k, v in recorded.items()) and all(
        CLEAR_DEFAULTS.get(k, object()) == v for k, v in extra.items()
    )


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
    dag = client.dags.get("bridge_plain")
    listed = client.dags.list(dag_id_pattern="bridge_pl", limit=5)
    tis = client.task_instances.list("bridge_failing", run)
    failed = client.task_instances.failed("bridge_failing", run)
    ti = client.task_instances.get("bridge_failing", run, "explode")
    records = client.task_instances.logs("bridge_failing", run, "explode", try_number=1)
    dry = client.task_instances.clear("bridge_failing", run, only_failed=True)
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
        "tries": sorted({r.try_number for r in records}),
        "dry": sorted((c.task_id, c.map_index) for c in dry.task_instances),
    }


@pytest.mark.parametrize("version", sorted(DATA))
def test_each_call_sends_the_recorded_request(version: str) -> None:
    seen = runbook(version)
    assert seen["dag"][0] == "bridge_plain"
    assert seen["listed"] == ["bridge_plain"]
    assert seen["dry"] == [("after", -1), ("explode", -1)]
    assert seen["failed"] == [("explode", "PythonOperator", "default", "default_pool", None)]
    assert seen["failure_logged"] == [("error", True)]
    assert seen["tries"] == [1]  # each record names the try it was read from


def test_both_generations_give_equal_results() -> None:
    assert runbook("2.10.5") == runbook("3.3.2")


def test_unknown_fields_are_kept_in_extra() -> None:
    client, _ = client_for("3.3.2")
    ti = client.task_instances.get("bridge_failing", RUN["3.3.2"], "explode")
    assert ti.extra["dag_version"]["version_number"] == 1  # 3.x only
    client, _ = client_for("2.10.5")
    assert client.dags.get("bridge_plain").extra["default_view"] == "grid"  # 2.x only


def test_airflow2_text_becomes_records_with_the_traceback_in_the_message() -> None:
    client, _ = client_for("2.10.5")
    records = client.task_instances.logs("bridge_failing", RUN["2.10.5"], "explode", try_number=1)
    error = next(r for r in records if r.message.startswith("Task failed with exception"))
    assert error.level == "error" and error.source == "taskinstance.py:3313"
    assert error.timestamp is not None and error.timestamp.tzinfo is not None
    assert f"RuntimeError: {FAILURE}" in error.message  # the traceback lines joined it
    assert records[0].message == "::group::Log message source details"


def test_airflow2_token_says_the_log_ended() -> None:
    body = DATA["2.10.5"]["ti_logs"]["response"]["body"]
    assert _task_instances._end_of_log(body["continuation_token"]) is True
    assert _task_instances._end_of_log("not-a-token") is None


def test_a_try_that_never_ran_reads_no_log_without_asking() -> None:
    tis = DATA["3.3.2"]["ti_list"]["response"]["body"]
    after = next(t for t in tis["task_instances"] if t["task_id"] == "after")
    sent: list[str] = []

    def serve(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        return httpx.Response(200, json=after)

    client = Client("http://x", token="t", api="v2", transport=httpx.MockTransport(serve))
    assert client.task_instances.logs("bridge_failing", RUN["3.3.2"], "after") == []
    assert sent == [f"/api/v2/dags/bridge_failing/dagRuns/{RUN['3.3.2']}/taskInstances/after"]


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


def test_a_group_marker_has_a_level_on_2_and_none_on_3_as_recorded() -> None:
    """Kept (README differences table): each record's level is the server's own; Airflow 2's
    `::group::` text line parses as info, Airflow 3's group record carries no level."""
    levels = {}
    for version in ("2.10.5", "3.3.2"):
        client, _ = client_for(version)
        records = client.task_instances.logs(
            "bridge_failing", RUN[version], "explode", try_number=1
        )
        group = next(r for r in records if "::group::" in r.message or r.message.startswith("::"))
        levels[version] = group.level
    assert levels == {"2.10.5": "info", "3.3.2": None}
