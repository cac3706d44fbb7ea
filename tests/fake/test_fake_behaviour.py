"""The fake's own behaviour, over raw HTTP: what the recordings do not show.

Version gates, tokens, faults as httpx sees them, the scheduler and clock controls, the
wait stream, the loopback server, and the fake's independence from the library it tests.
"""

from __future__ import annotations

import ast
import base64
import json
import re
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest

from airflow_bridge.testing import DagSpec, FakeAirflow, ManualClock, serve_forever

ADMIN = ("admin", "admin")
RUNS_V1 = "/api/v1/dags/bridge_plain/dagRuns"
RUNS_V2 = "/api/v2/dags/bridge_plain/dagRuns"


def v1(fake: FakeAirflow, auth: tuple[str, str] | None = ADMIN) -> httpx.Client:
    return httpx.Client(base_url=fake.base_url, transport=fake.transport(), auth=auth)


def v2(fake: FakeAirflow, user: str = "admin") -> httpx.Client:
    http = httpx.Client(base_url=fake.base_url, transport=fake.transport())
    login = http.post("/auth/token", json={"username": user, "password": user})
    http.headers["authorization"] = f"Bearer {login.json()['access_token']}"
    return http


# -- version gates ------------------------------------------------------------------------


def test_v1_endpoints_older_releases_lack() -> None:
    http = v1(FakeAirflow("2.1.4"))
    http.post(RUNS_V1, json={"dag_run_id": "r1"})
    patch = http.patch(f"{RUNS_V1}/r1", json={"state": "failed"})
    assert patch.status_code == 405 and patch.headers["allow"] == "DELETE, GET"
    assert patch.json()["title"] == "Method Not Allowed"
    clear = http.post(f"{RUNS_V1}/r1/clear", json={})
    assert (clear.status_code, clear.json()["type"]) == (404, "about:blank")
    assert "note" not in http.get(f"{RUNS_V1}/r1").json()


def test_v1_queued_is_settable_from_2_5_and_filters_come_with_their_release() -> None:
    http = v1(FakeAirflow("2.4.3"))
    http.post(RUNS_V1, json={"dag_run_id": "r1"})
    refused = http.patch(f"{RUNS_V1}/r1", json={"state": "queued"})
    assert refused.json()["detail"] == "'queued' is not one of ['success', 'failed'] - 'state'"
    extra = http.get(RUNS_V1, params={"updated_at_gte": "2024-01-01T00:00:00+00:00"})
    assert extra.json()["detail"] == "Extra query parameter(s) updated_at_gte not in spec"


def test_v1_limits() -> None:
    http = v1(FakeAirflow("2.10.5"))
    negative = http.get(RUNS_V1, params={"limit": "-1"})
    assert (negative.status_code, negative.json()["title"]) == (
        400,
        "Page limit must be a positive integer",
    )
    wrong = http.get(RUNS_V1, params={"limit": "many"})
    assert wrong.json()["detail"] == "Wrong type, expected 'integer' for query parameter 'limit'"


def test_v2_wait_endpoint_arrived_in_3_1() -> None:
    http = v2(FakeAirflow("3.0.6"))
    missing = http.get(f"{RUNS_V2}/r1/wait", params={"interval": "1"})
    assert (missing.status_code, missing.json()) == (404, {"error": "API route not found"})


def test_release_gates_for_run_ids_and_empty_notes() -> None:
    older, newer = v2(FakeAirflow("3.2.2")), v2(FakeAirflow("3.3.2"))
    body = {"dag_run_id": "a..b", "logical_date": None}
    assert older.post(RUNS_V2, json=body).status_code == 200
    refused = newer.post(RUNS_V2, json=body)
    assert refused.json() == {
        "detail": "The run_id 'a..b' must not contain '..' to prevent path traversal"
    }
    notes = []
    for http in (older, newer):
        http.post(RUNS_V2, json={"dag_run_id": "r1", "logical_date": None})
        http.patch(f"{RUNS_V2}/r1", params={"update_mask": "note"}, json={"note": ""})
        notes.append(http.get(f"{RUNS_V2}/r1").json()["note"])
    assert notes == ["", None]  # 3.3 removes an emptied note (seen on 3.3.2)


def test_a_queued_run_marked_success_skips_its_unstarted_tasks_on_3_3_only() -> None:
    """The `success_skips_unstarted` gate: seen live on 3.3.2 (skipped) and 2.10.5 (success)."""
    newer = v2(FakeAirflow("3.3.2"))
    newer.post(RUNS_V2, json={"dag_run_id": "r1", "logical_date": None})
    assert newer.patch(f"{RUNS_V2}/r1", json={"state": "success"}).json()["state"] == "success"
    dry_run = newer.post(f"{RUNS_V2}/r1/clear", json={"dry_run": True}).json()
    assert [(ti["task_id"], ti["state"]) for ti in dry_run["task_instances"]] == [
        ("first", "skipped"),
        ("second", "skipped"),
    ]
    older = v1(FakeAirflow("2.10.5"))
    older.post(RUNS_V1, json={"dag_run_id": "r1"})
    assert older.patch(f"{RUNS_V1}/r1", json={"state": "success"}).json()["state"] == "success"
    # 2.10.5's dry-run clear lists task references without states (fixtures/2.10.5/
    # clear_default.json), so the states are read from the run's task instances
    dry_run = older.post(f"{RUNS_V1}/r1/clear", json={"dry_run": True}).json()
    assert [ti["task_id"] for ti in dry_run["task_instances"]] == ["first", "second"]
    listed = older.get(f"{RUNS_V1}/r1/taskInstances").json()["task_instances"]
    assert sorted((ti["task_id"], ti["state"]) for ti in listed) == [
        ("first", "success"),
        ("second", "success"),
    ]


def test_every_gate_the_code_asks_about_is_in_the_table() -> None:
    from airflow_bridge.testing._gates import ADDED_IN

    folder = Path(__file__).resolve().parents[2] / "airflow_bridge" / "testing"
    for module, apis in {"_v1": ["v1"], "_v2": ["v2"], "_api": ["v1", "v2"]}.items():
        asked = re.findall(r'release\.has\("([^"]+)"\)', (folder / f"{module}.py").read_text())
        assert asked
        for api in apis:
            assert set(asked) <= set(ADDED_IN[api]), (module, api)


# -- keyset pagination (Airflow 3.2.2+) ---------------------------------------------------


def seeded(version: str, count: int) -> tuple[FakeAirflow, httpx.Client]:
    fake = FakeAirflow(version)
    for i in range(count):
        fake.add_run("bridge_plain", f"seed-{i:02d}", state="success")
    return fake, v2(fake)


def test_a_keyset_walk_never_repeats_or_skips_a_run_while_runs_are_added() -> None:
    fake, http = seeded("3.3.2", 12)
    seen: list[str] = []
    query = {"order_by": "-id", "limit": "5", "cursor": ""}
    while True:
        page = http.get(RUNS_V2, params=query).json()
        seen += [run["dag_run_id"] for run in page["dag_runs"]]
        fake.add_run("bridge_plain", f"new-{len(seen)}")  # newer than every run walked
        if page["next_cursor"] is None:
            break
        query["cursor"] = page["next_cursor"]
    assert seen == [f"seed-{i:02d}" for i in reversed(range(12))]
    assert (page["total_entries"], page["total_entries_limit"]) == (14, 50000)


def test_keyset_cursors_go_back_and_refuse_what_they_cannot_use() -> None:
    _, http = seeded("3.3.2", 5)
    first = http.get(RUNS_V2, params={"limit": "2", "cursor": ""}).json()
    second = http.get(RUNS_V2, params={"limit": "2", "cursor": first["next_cursor"]}).json()
    assert [r["dag_run_id"] for r in second["dag_runs"]] == ["seed-02", "seed-03"]
    back = http.get(RUNS_V2, params={"limit": "2", "cursor": second["previous_cursor"]}).json()
    assert [r["dag_run_id"] for r in back["dag_runs"]] == ["seed-00", "seed-01"]
    assert back["previous_cursor"] is None and first["previous_cursor"] is None
    bad = http.get(RUNS_V2, params={"cursor": "!!!"})
    assert (bad.status_code, bad.json()) == (400, {"detail": "Invalid cursor token"})
    other = http.get(RUNS_V2, params={"cursor": first["next_cursor"], "order_by": "-run_after"})
    assert other.json() == {"detail": "Cursor token does not match current query shape"}


def test_keyset_pagination_by_release() -> None:
    page = seeded("3.2.2", 3)[1].get(RUNS_V2, params={"limit": "2", "cursor": ""}).json()
    assert page["total_entries"] is None and "total_entries_limit" not in page
    assert isinstance(page["next_cursor"], str)
    older = seeded("3.1.8", 3)[1].get(RUNS_V2, params={"limit": "2", "cursor": "x"}).json()
    assert older["total_entries"] == 3 and "next_cursor" not in older  # cursor: unknown


def test_before_3_3_1_a_keyset_walk_loses_runs_whose_sort_value_is_null() -> None:
    walked = {}
    for version in ("3.3.0", "3.3.2"):
        fake, http = seeded(version, 0)
        for i in range(3):
            date = datetime(2024, 1, 1 + i, tzinfo=timezone.utc)
            fake.add_run("bridge_plain", f"dated-{i}", state="success", logical_date=date)
            fake.add_run("bridge_plain", f"undated-{i}", state="success")
        query = {"order_by": "-logical_date", "limit": "2", "cursor": ""}
        walked[version] = []
        while query["cursor"] is not None:
            page = http.get(RUNS_V2, params=query).json()
            walked[version] += [run["dag_run_id"] for run in page["dag_runs"]]
            query["cursor"] = page["next_cursor"]
    dated = ["dated-2", "dated-1", "dated-0"]
    assert walked["3.3.0"] == dated  # no NULL is ever beyond a cursor: the undated are lost
    assert walked["3.3.2"][:3] == dated
    assert sorted(walked["3.3.2"][3:]) == ["undated-0", "undated-1", "undated-2"]


# -- authentication -----------------------------------------------------------------------


def test_v2_tokens_expire_with_the_clock_and_are_checked_for_their_signature() -> None:
    fake = FakeAirflow("3.3.2", token_lifetime=60)
    http = v2(fake)
    assert http.get(RUNS_V2).status_code == 200
    fake.clock.advance(61)
    assert http.get(RUNS_V2).json() == {"detail": "Token Expired"}
    other = v2(FakeAirflow("3.3.2"))  # a token signed with another server's secret
    refused = v1(fake, auth=None).get(RUNS_V2, headers=dict(other.headers))
    assert (refused.status_code, refused.json()) == (403, {"detail": "Invalid JWT token"})


def test_v2_token_endpoint_checks_credentials() -> None:
    http = httpx.Client(base_url="http://x", transport=FakeAirflow("3.3.2").transport())
    wrong = http.post("/auth/token", json={"username": "admin", "password": "nope"})
    assert (wrong.status_code, wrong.json()) == (401, {"detail": "Invalid credentials"})
    token = http.post("/auth/token", json={"username": "admin", "password": "admin"})
    claims = token.json()["access_token"].split(".")[1]
    decoded = json.loads(base64.urlsafe_b64decode(claims + "=="))
    assert decoded["exp"] - decoded["iat"] == 86400 and decoded["sub"] == "admin"


def test_custom_users_and_roles() -> None:
    fake = FakeAirflow("2.10.5", users={"ops": "pw", "auditor": "pw2"}, roles={"auditor": "viewer"})
    assert v1(fake, ("ops", "pw")).post(RUNS_V1, json={}).status_code == 200
    assert v1(fake, ("auditor", "pw2")).post(RUNS_V1, json={}).status_code == 403
    assert v1(fake, ("admin", "admin")).get(RUNS_V1).status_code == 401


# -- faults as httpx sees them ------------------------------------------------------------


def test_transport_faults() -> None:
    fake = FakeAirflow("2.10.5")
    http = v1(fake)
    fake.inject("list", drop="refuse")
    with pytest.raises(httpx.ConnectError):
        http.get(RUNS_V1)
    fake.inject("GET /api/v1/dags/*/dagRuns", drop=True)
    with pytest.raises(httpx.RemoteProtocolError):
        http.get(RUNS_V1)
    fake.inject("/api/v1/dags/*", delay=0.2)
    with pytest.raises(httpx.ReadTimeout):
        http.get(RUNS_V1, timeout=0.01)
    assert http.get(RUNS_V1).status_code == 200  # every rule was used up (times=1)


def test_error_faults_answer_in_the_servers_shape_or_as_a_proxy_page() -> None:
    fake = FakeAirflow("3.3.2")
    fake.inject("trigger", status=429, retry_after=5, times=2)
    fake.inject("get", status=502, html=True, times=None)
    http = v2(fake)
    for _ in range(2):
        limited = http.post(RUNS_V2, json={"logical_date": None})
        assert (limited.status_code, limited.headers["retry-after"]) == (429, "5")
        assert limited.json() == {"detail": "Too Many Requests"}
    assert http.post(RUNS_V2, json={"logical_date": None}).status_code == 200
    page = http.get(f"{RUNS_V2}/any")
    assert page.headers["content-type"].startswith("text/html") and "502 Bad Gateway" in page.text
    fake.clear_faults()
    assert http.get(f"{RUNS_V2}/any").status_code == 404


# -- scheduler and clock ------------------------------------------------------------------


def test_a_paused_dag_keeps_its_runs_queued_and_its_asset_events_waiting() -> None:
    fake = FakeAirflow("3.3.2", auto=1)
    fake.pause("bridge_consumer")
    http = v2(fake)
    http.post(
        "/api/v2/dags/bridge_producer/dagRuns", json={"logical_date": None, "dag_run_id": "p"}
    )
    for _ in range(3):
        http.get("/api/v2/version")
    assert fake.state("p") == "success"
    consumers = "/api/v2/dags/bridge_consumer/dagRuns"
    assert http.get(consumers).json()["total_entries"] == 0
    fake.pause("bridge_consumer", False)
    (run,) = http.get(consumers).json()["dag_runs"]
    assert run["run_type"] == "asset_triggered" and run["triggered_by"] == "asset"


def test_airflow_3_starts_a_run_once_its_run_after_has_come() -> None:
    fake = FakeAirflow("3.3.2", auto=1)
    http = v2(fake)
    later = {"logical_date": None, "run_after": "2099-01-01T00:00:00Z"}
    http.post(RUNS_V2, json={"dag_run_id": "later", **later})
    http.post(RUNS_V2, json={"dag_run_id": "now", "logical_date": None})
    for _ in range(3):
        http.get("/api/v2/version")
    assert (fake.state("later"), fake.state("now")) == ("queued", "success")
    fake.clock.advance(datetime(2099, 1, 2, tzinfo=timezone.utc).timestamp() - time.time())
    for _ in range(3):
        http.get("/api/v2/version")
    assert fake.state("later") == "success"


def test_a_manual_clock_makes_timestamps_deterministic() -> None:
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    fake = FakeAirflow("2.10.5", clock=ManualClock(start), dags=[DagSpec("etl", ("a", "b", "c"))])
    http = v1(fake)
    first = http.post("/api/v1/dags/etl/dagRuns", json={}).json()
    second = http.post("/api/v1/dags/etl/dagRuns", json={}).json()
    assert first["dag_run_id"] == "manual__2024-01-01T00:00:00.001000+00:00"
    assert second["dag_run_id"] == "manual__2024-01-01T00:00:00.002000+00:00"
    dry = http.post(f"/api/v1/dags/etl/dagRuns/{first['dag_run_id']}/clear", json={})
    assert [ti["task_id"] for ti in dry.json()["task_instances"]] == ["a", "b", "c"]


def test_advance_checks_the_transition() -> None:
    fake = FakeAirflow("3.3.2")
    fake.add_run("bridge_plain", "r1")
    fake.advance("r1", to="failed")
    assert fake.state("r1") == "failed"
    with pytest.raises(ValueError, match="already finished"):
        fake.advance("r1")
    with pytest.raises(KeyError):
        fake.advance("nope")


# -- the wait stream and the loopback server ----------------------------------------------


def test_wait_streams_states_until_the_run_ends() -> None:
    fake = FakeAirflow("3.3.2", auto=1, clock=ManualClock())
    http = v2(fake)
    http.post(RUNS_V2, json={"logical_date": None, "dag_run_id": "w"})
    with http.stream("GET", f"{RUNS_V2}/w/wait", params={"interval": "5"}) as answer:
        lines = [json.loads(line) for line in answer.iter_lines() if line]
    assert lines[0] == {"state": "running"} and lines[-1] == {"state": "success"}
    assert "content-type" not in answer.headers


def test_the_server_drops_connections_and_streams_chunks() -> None:
    fake = FakeAirflow("3.3.2", auto=1, clock=ManualClock())
    with fake.serve() as server, httpx.Client(base_url=server.url) as http:
        token = http.post("/auth/token", json={"username": "admin", "password": "admin"})
        http.headers["authorization"] = f"Bearer {token.json()['access_token']}"
        http.post(RUNS_V2, json={"logical_date": None, "dag_run_id": "w"})
        streamed = http.get(f"{RUNS_V2}/w/wait", params={"interval": "1"})
        assert streamed.text.endswith('{"state": "success"}\n')
        fake.inject("get", drop=True)
        with pytest.raises(httpx.TransportError):
            http.get(f"{RUNS_V2}/w")
        assert http.get(f"{RUNS_V2}/w").json()["state"] == "success"


def test_serve_forever_runs_until_stopped() -> None:
    urls: list[str] = []
    ready, stop = threading.Event(), threading.Event()

    def started(url: str) -> None:
        urls.append(url)
        ready.set()

    options = {"port": 0, "ready": started, "stop": stop}
    thread = threading.Thread(target=serve_forever, args=("2.10.5",), kwargs=options)
    thread.start()
    assert ready.wait(5)
    assert httpx.get(f"{urls[0]}/api/v1/version").json()["version"] == "2.10.5"
    stop.set()
    thread.join(5)
    assert not thread.is_alive()


# -- independence -------------------------------------------------------------------------


def test_the_fake_imports_nothing_from_the_library_it_checks() -> None:
    package = Path(__file__).resolve().parents[2] / "airflow_bridge" / "testing"
    allowed = ("airflow_bridge.testing", "httpx", "anyio", "pytest")
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert name.startswith(allowed) or top in _stdlib(), f"{module.name}: {name}"


def _stdlib() -> frozenset[str]:
    return frozenset(sys.stdlib_module_names) | {"__future__"}


@pytest.mark.parametrize("version", ["2.10.5", "3.3.2"])
def test_faults_and_seeded_runs_are_checked_before_anything_changes(version: str) -> None:
    fake = FakeAirflow(version)
    with pytest.raises(ValueError, match="HTTPStatus"):
        fake.inject("get", status=419)  # in 400-599, but no reason phrase to answer with
    with pytest.raises(ValueError, match="state must be"):
        fake.add_run("bridge_plain", "seeded", state="bogus")
    with pytest.raises(KeyError):
        fake.state("seeded", dag_id="bridge_plain")
