"""The adapters against exchanges recorded from real Airflow servers (fixtures/<version>/).

Three checks per recording, where they apply:
- every error answer becomes the typed error for its status, with a readable message;
- every success answer parses into the models without losing a field;
- for what the facade itself can send, the public API sends the recorded request (method,
  encoded path, query, JSON body) and returns what the recorded answer says, detection and
  login included.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from airflow_bridge.adapters import BY_API, Adapter, Reply, _dags, _task_instances

from airflow_bridge import Client, DagRun
from airflow_bridge.errors import (
    ApiError,
    InvalidArgument,
    InvalidRunId,
    UnsupportedOperation,
    error_class,
)
from airflow_bridge.models import ServerInfo

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
# Recorded from real servers, and derived for releases that cannot run here (2.0-2.5).
RECORDED = sorted(FIXTURES.glob("*/*.json"))
SERVER_ONLY = ("health", "version", "other_generation", "token_", "wait_stream")


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def reply_of(exchange: dict[str, Any]) -> Reply:
    response = exchange["response"]
    body = response["body"]
    content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return Reply(
        status=response["status"],
        headers=response["headers"],
        content=content if body is not None else b"",
        method=exchange["request"]["method"],
        url="http://recorded" + exchange["request"]["path"],
    )


def adapter_for(exchange: dict[str, Any]) -> Adapter:
    meta = exchange["meta"]
    info = ServerInfo(base_url="http://recorded", api=meta["api"], version=meta["airflow_version"])
    return BY_API[meta["api"]](info)


def ids(paths: list[Path]) -> list[str]:
    return [f"{p.parent.name}/{p.stem}" for p in paths]


ERRORS = [p for p in RECORDED if load(p)["response"]["status"] >= 400]
SUCCESSES = [
    p
    for p in RECORDED
    if load(p)["response"]["status"] < 400 and not p.stem.startswith(SERVER_ONLY)
]


def test_recordings_exist_for_both_generations() -> None:
    versions = {p.parent.name for p in RECORDED}
    assert {"2.10.5", "3.3.2"} <= versions


@pytest.mark.parametrize("path", ERRORS, ids=ids(ERRORS))
def test_every_recorded_error_becomes_its_typed_error(path: Path) -> None:
    exchange = load(path)
    reply = reply_of(exchange)
    adapter = adapter_for(exchange)
    with pytest.raises(ApiError) as caught:
        adapter.parse_run(reply)
    assert type(caught.value) is adapter.error_class(reply)
    assert issubclass(adapter.error_class(reply), error_class(reply.status)) or (
        exchange["response"]["body"] == {"detail": "Invalid JWT token"}
    ), "only a rejected token may change the class its status gives"
    assert caught.value.status == reply.status
    assert caught.value.message and caught.value.message != f"HTTP {reply.status}"
    assert "\n" not in caught.value.message


#: The runbook's recordings (issue 16), by scenario prefix: the parser the facade uses.
RUNBOOK_PARSERS: dict[str, Callable[[Adapter, Reply], Any]] = {
    "dag_": _dags.parse_dag,
    "dags_": _dags.parse_dags,
    "ti_list": _task_instances.parse_tis,
    "ti_get": _task_instances.parse_ti,
    "ti_logs": _task_instances.parse_logs,
    "clear_ti_": lambda a, r: _task_instances.parse_clear(a, r, dry_run=True),
}


def parse_success(adapter: Adapter, scenario: str, reply: Reply) -> list[DagRun] | Any:
    """The parser the facade uses for this kind of exchange."""
    runbook = next((p for key, p in RUNBOOK_PARSERS.items() if scenario.startswith(key)), None)
    if runbook is not None:
        return runbook(adapter, reply)
    if scenario.startswith(("list", "batch")):
        return list(adapter.parse_page(reply).runs)
    if scenario.startswith("clear") and scenario != "clear_real":
        return adapter.parse_clear(reply, dry_run=True)
    if scenario.startswith("upstream_events"):
        return adapter.parse_events(reply)
    if scenario == "delete":
        return adapter.parse_empty(reply)
    return [adapter.parse_run(reply)]


@pytest.mark.parametrize("path", SUCCESSES, ids=ids(SUCCESSES))
def test_every_recorded_success_parses_without_losing_fields(path: Path) -> None:
    exchange = load(path)
    adapter = adapter_for(exchange)
    body = exchange["response"]["body"]
    result = parse_success(adapter, path.stem, reply_of(exchange))
    if path.stem.startswith("clear") and path.stem != "clear_real":
        assert len(result.task_instances) == len(body["task_instances"])
        return
    if path.stem.startswith(("list", "batch")):
        wire_runs = body["dag_runs"]
    elif path.stem.startswith(("trigger", "get", "patch", "set_note", "clear_real")):
        wire_runs = [body]
    else:
        wire_runs = []
    if not wire_runs:
        return
    assert len(wire_runs) == len(result)
    for wire, run in zip(wire_runs, result, strict=False):
        assert run.run_id == wire["dag_run_id"]
        assert run.dag_id == wire["dag_id"]
        assert run.conf == (wire["conf"] or {})
        assert (run.state.value if hasattr(run.state, "value") else run.state) == wire["state"]
        assert run.note == (wire.get("note") or None)  # an empty note reads as none
        assert run.api == adapter.api
        assert run.logical_date is None or run.logical_date.tzinfo is not None
        kept = set(run.extra)
        assert kept <= set(wire), "extra holds only wire fields"
        assert kept >= set(wire) - KNOWN_WIRE[adapter.api], "an unknown field was dropped"


KNOWN_WIRE = {
    "v1": {
        "conf",
        "dag_id",
        "dag_run_id",
        "data_interval_end",
        "data_interval_start",
        "end_date",
        "execution_date",
        "last_scheduling_decision",
        "logical_date",
        "note",
        "run_type",
        "start_date",
        "state",
    },
    "v2": {
        "dag_run_id",
        "dag_id",
        "logical_date",
        "queued_at",
        "start_date",
        "end_date",
        "duration",
        "data_interval_start",
        "data_interval_end",
        "run_after",
        "last_scheduling_decision",
        "run_type",
        "state",
        "triggered_by",
        "triggering_user_name",
        "conf",
        "note",
        "bundle_version",
        "dag_display_name",
    },
}


def test_recorded_upstream_events_normalize_to_one_model() -> None:
    for version in ("2.10.5", "3.3.2"):
        exchange = load(FIXTURES / version / "upstream_events_consumer.json")
        (event,) = adapter_for(exchange).parse_events(reply_of(exchange))
        assert event.uri == "bridge://datasets/one"
        assert event.source_dag_id == "bridge_producer"
        assert event.source_task_id == "produce"
        assert event.timestamp.tzinfo is not None
        assert event.created_dag_runs and event.created_dag_runs[0].dag_id == "bridge_consumer"


def test_recorded_dry_run_clears_normalize_to_task_instances() -> None:
    for version in ("2.10.5", "3.3.2"):
        exchange = load(FIXTURES / version / "clear_dry_run.json")
        result = adapter_for(exchange).parse_clear(reply_of(exchange), dry_run=True)
        assert sorted(ti.task_id for ti in result.task_instances) == ["first", "second"]
        assert {ti.dag_id for ti in result.task_instances} == {"bridge_plain"}


# -- the facade sends what was recorded ------------------------------------------------


def _dag_and_run(exchange: dict[str, Any]) -> tuple[str, str]:
    parts = exchange["request"]["path"].split("/")
    return unquote(parts[4]), unquote(parts[6])


def _date(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _trigger(client: Client, exchange: dict[str, Any]) -> Any:
    body = exchange["request"]["body"]
    interval = None
    if "data_interval_start" in body:
        interval = (_date(body["data_interval_start"]), _date(body["data_interval_end"]))
    return client.dag_runs.trigger(
        unquote(exchange["request"]["path"].split("/")[4]),
        run_id=body.get("dag_run_id"),
        logical_date=_date(body.get("logical_date")),
        conf=body.get("conf"),
        note=body.get("note"),
        data_interval=interval,  # type: ignore[arg-type]
    )


def _list(**kwargs: Any) -> Callable[[Client, dict[str, Any]], Any]:
    def call(client: Client, exchange: dict[str, Any]) -> Any:
        request = exchange["request"]
        query = dict(request["query"])
        if request["method"] == "POST":
            body = request["body"]
            extra = {"dag_ids": body["dag_ids"], "states": body.get("states")}
            return client.dag_runs.list(limit=body["page_limit"], page_size=200, **extra, **kwargs)
        dates = {k: datetime.fromisoformat(v) for k, v in query.items() if k.endswith("_gte")}
        dag_id = unquote(request["path"].split("/")[4])
        return client.dag_runs.list(dag_id, limit=int(query["limit"]), **dates, **kwargs)

    return call


def _on_run(method: str) -> Callable[[Client, dict[str, Any]], Any]:
    def call(client: Client, exchange: dict[str, Any]) -> Any:
        dag_id, run_id = _dag_and_run(exchange)
        body = exchange["request"]["body"] or {}
        runs = client.dag_runs
        if method == "set_state":
            return runs.set_state(dag_id, run_id, body["state"])
        if method == "set_note":
            return runs.set_note(dag_id, run_id, body["note"])
        if method == "update":
            return runs.update(dag_id, run_id, state=body["state"], note=body["note"])
        if method == "clear":
            return runs.clear(
                dag_id, run_id, dry_run=body["dry_run"], only_failed=body.get("only_failed", False)
            )
        return getattr(runs, method)(dag_id, run_id)

    return call


REPLAYS: dict[str, Callable[[Client, dict[str, Any]], Any]] = {
    **{
        name: _trigger
        for name in (
            "trigger_minimal",
            "trigger_with_logical_date",
            "trigger_with_conf_and_note",
            "trigger_with_data_interval",
            "trigger_duplicate_run_id",
            "trigger_unknown_dag",
            "trigger_special_run_id",
            "trigger_slash_run_id",
            "trigger_paused_dag",
            "forbidden_viewer_trigger",
        )
    },
    **{
        name: _on_run("get")
        for name in (
            "get",
            "get_not_found",
            "get_special_run_id",
            "get_slash_run_id",
            "get_after_comma_mask",
        )
    },
    **{
        name: _on_run("set_state")
        for name in (
            "patch_state_success",
            "patch_state_failed",
            "patch_state_queued",
            "patch_state_running",
            "patch_state_invalid",
            "patch_not_found",
        )
    },
    "set_note": _on_run("set_note"),
    "patch_state_and_note": _on_run("update"),
    **{
        name: _on_run("clear")
        for name in ("clear_dry_run", "clear_real", "clear_not_found", "clear_only_failed")
    },
    "delete": _on_run("delete"),
    "delete_not_found": _on_run("delete"),
    "upstream_events_consumer": _on_run("upstream_events"),
    "upstream_events_manual": _on_run("upstream_events"),
    "list_all": _list(),
    "list_dag": _list(),
    "list_date_filter": _list(),
    "list_updated_at_filter": _list(),
    "list_state_filter": _list(states=["failed", "success"]),
    "list_run_type_filter": _list(run_types=["manual"]),
    "batch_list": _list(),
    "batch_list_states": _list(),
    "batch_list_large_page": _list(),
}
ORDER_BY = {
    "v1": {"list_order_by": ["-logical_date"]},
    "v2": {
        "list_order_by": ["-logical_date"],
        "list_order_by_repeated": ["-logical_date", "run_id"],
    },
}


def _without_zero_offset(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The server's default offset is 0: sending it or not asks the same. A first keyset page
    (`cursor=""`, sent where the server has cursors) starts there too: the same runs."""
    return sorted(p for p in pairs if p not in (("offset", "0"), ("cursor", "")))


def _same_request(sent: httpx.Request, recorded: dict[str, Any]) -> None:
    assert sent.method == recorded["method"]
    assert sent.url.raw_path.decode().split("?")[0] == recorded["path"]
    assert _without_zero_offset(list(sent.url.params.multi_items())) == _without_zero_offset(
        [tuple(pair) for pair in recorded["query"]]
    )
    body = json.loads(sent.content) if sent.content else None
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if (k, v) != ("page_offset", 0)}
        if isinstance(recorded["body"], dict) and "dag_run_id" not in recorded["body"]:
            # a trigger given no run id sends one the client made, so it is safe to resend
            assert str(body.pop("dag_run_id", "manual__")).startswith("manual__")
    assert body == (recorded["body"] if recorded["body"] != {} or body is not None else None)


def _next_page(request: httpx.Request) -> bool:
    """A list request past the first page (the facade pages on when runs were dropped)."""
    params = request.url.params
    return request.method == "GET" and (
        params.get("offset", "0") != "0" or params.get("cursor", "") != ""
    )


def _matching(exchange: dict[str, Any]) -> list[str]:
    """The recorded runs that match the recorded date bounds. A run whose date is null
    matches no bound on that date (Airflow 3's GET list lets such runs through some bounds;
    the facade drops them)."""
    fields = [
        name[:-4] for name, _ in exchange["request"]["query"] if name.endswith(("_gte", "_lte"))
    ]
    runs = exchange["response"]["body"]["dag_runs"]
    return [r["dag_run_id"] for r in runs if not any(f in r and r[f] is None for f in fields)]


def _replay_transport(version: str, exchange: dict[str, Any]) -> httpx.MockTransport:
    """Answers detection and login from their recordings, then expects `exchange`."""
    own = load(FIXTURES / version / "version.json")
    other = load(FIXTURES / version / "other_generation_version.json")
    login = FIXTURES / version / "token_ok.json"
    canned = {own["request"]["path"]: own, other["request"]["path"]: other}
    if login.exists():
        canned["/auth/token"] = load(login)

    def answer(request: httpx.Request) -> httpx.Response:
        recorded = canned.get(request.url.path) or exchange
        if recorded is exchange and _next_page(request):  # only the first page is recorded
            return httpx.Response(200, json={**exchange["response"]["body"], "dag_runs": []})
        if recorded is exchange:
            _same_request(request, exchange["request"])
        response = recorded["response"]
        body = response["body"]
        if response["status"] == 204 or body is None:
            return httpx.Response(response["status"])
        if isinstance(body, str):
            return httpx.Response(
                response["status"],
                text=body,
                headers={"content-type": response["headers"]["content-type"]},
            )
        return httpx.Response(response["status"], json=body)

    return httpx.MockTransport(answer)


# Scenarios that need a capability some releases lack: there the facade must refuse.
NEEDS = {
    "clear_only_failed": "only_failed",
    "list_order_by_repeated": "order_by_several",
    "trigger_with_data_interval": "data_interval",
}
ORDER_BY["v1"]["list_order_by_repeated"] = ["-logical_date", "run_id"]
# Inputs no server takes, refused before anything is sent (states that cannot be set; a run
# id with "/", which the recording shows the router decodes and sends elsewhere).
REFUSED_BEFORE_SENDING = {"patch_state_running", "patch_state_invalid", "get_slash_run_id"}
# Refusals the facade names more precisely than the status does (a run id refused by the
# run id pattern: a 500 page on Airflow 2, a 400 on Airflow 3).
REFUSAL_CLASS: dict[str, type[ApiError]] = {"trigger_slash_run_id": InvalidRunId}
REPLAYABLE = [
    p for p in RECORDED if p.stem in REPLAYS or p.stem in ORDER_BY[load(p)["meta"]["api"]]
]


@pytest.mark.parametrize("path", REPLAYABLE, ids=ids(REPLAYABLE))
def test_the_facade_sends_the_recorded_request_and_returns_the_recorded_answer(
    path: Path,
) -> None:
    exchange = load(path)
    version, api = exchange["meta"]["airflow_version"], exchange["meta"]["api"]
    user = "viewer" if path.stem.startswith("forbidden") else "admin"
    client = Client(
        "http://recorded",
        username=user,
        password=user,
        transport=_replay_transport(version, exchange),
    )
    order_by = ORDER_BY[api].get(path.stem)
    call = _list(order_by=order_by) if order_by else REPLAYS[path.stem]
    status = exchange["response"]["status"]
    needed = NEEDS.get(path.stem)
    if needed and not adapter_for(exchange).supports(needed):
        with pytest.raises(UnsupportedOperation, match=needed):
            call(client, exchange)
        return
    if path.stem in REFUSED_BEFORE_SENDING:
        with pytest.raises(InvalidArgument):
            call(client, exchange)
        return
    if status >= 400:
        expected = REFUSAL_CLASS.get(path.stem) or adapter_for(exchange).error_class(
            reply_of(exchange)
        )
        with pytest.raises(expected):
            call(client, exchange)
        return
    result = call(client, exchange)
    assert client.server.version == version
    body = exchange["response"]["body"]
    if isinstance(result, DagRun):
        assert (result.run_id, result.dag_id) == (body["dag_run_id"], body["dag_id"])
    elif isinstance(result, list) and path.stem.startswith(("list", "batch")):
        assert [r.run_id for r in result] == _matching(exchange)


FAILURE = "bridge_failing: planned failure for the runbook tests"  # what dags/ raise
RUNBOOK_SUCCESSES = [p for p in SUCCESSES if any(p.stem.startswith(k) for k in RUNBOOK_PARSERS)]


@pytest.mark.parametrize("path", RUNBOOK_SUCCESSES, ids=ids(RUNBOOK_SUCCESSES))
def test_runbook_recordings_parse_into_the_normalized_models(path: Path) -> None:
    """DAGs, task instances and logs recorded live: ids, states and tries as sent, unknown
    fields kept in `extra`, the failure message found in the failed tries' logs."""
    exchange = load(path)
    adapter = adapter_for(exchange)
    body = exchange["response"]["body"]
    result = parse_success(adapter, path.stem, reply_of(exchange))
    if path.stem.startswith("dags_"):
        dags, total = result
        assert [d.dag_id for d in dags] == [w["dag_id"] for w in body["dags"]]
        assert total == body["total_entries"]
    elif path.stem.startswith("dag_"):
        assert (result.dag_id, result.is_paused) == (body["dag_id"], body["is_paused"])
        assert result.tags == tuple(t["name"] for t in body["tags"])
        assert set(result.extra) <= set(body)
    elif path.stem.startswith(("ti_list", "ti_get")):
        tis, wires = (
            (result[0], body["task_instances"]) if "list" in path.stem else ([result], [body])
        )
        assert [(t.task_id, t.state, t.try_number) for t in tis] == [
            (w["task_id"], w["state"], w["try_number"]) for w in wires
        ]
        assert all(set(t.extra) <= set(w) for t, w in zip(tis, wires, strict=True))
    elif path.stem in ("ti_logs", "ti_logs_second_try"):
        assert any(FAILURE in record.message for record in result.records)
    elif path.stem.startswith("ti_logs"):
        assert isinstance(result.records, tuple)
