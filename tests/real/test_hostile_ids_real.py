"""Issue 11: hostile ids stay on their own route, on the live 2.10.5 and 3.3.2 servers.

Every id goes through the library, which percent-encodes it. A request hook checks each
request's path BEFORE it is sent: decoded, it must be the intended route with each id whole in
its own segment, or the hook raises and nothing goes out (a literal `..` sent raw once deleted a
whole DAG on 2.10.5). Each call must then fail with the server's own answer for that route (404,
or its validation error: 400/422, or 2.10.5's 414 for a 10 KB path), and afterwards a sentinel
run and the DAG must still be there. Ids with `/` are refused before sending: both servers
decode `%2F` before routing (`x/taskInstances` reached the task instances endpoint on both).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from airflow_bridge import Client
from airflow_bridge.errors import ApiError, InvalidArgument, NotFound

pytestmark = pytest.mark.real

UTC = timezone.utc
PLAIN = "bridge_plain"
#: What a server may answer a hostile id with: not found, its own validation, URI too long.
SERVER_REFUSALS = {400, 404, 414, 422}
#: Route suffixes after `/dags/{dag_id}/dagRuns/{run_id}` the operations below may use.
RUN_SUFFIXES = {(), ("setNote",), ("clear",), ("upstreamDatasetEvents",), ("upstreamAssetEvents",)}


def hostile_ids(token: str) -> list[str]:
    """Dots, encoded separators, query and fragment marks, spaces, unicode, control
    characters, a 10 KB id. Most carry the test's token so no other test's run can match."""
    return [
        "..",
        ".",
        "%2E%2E",
        "..%2F..",
        f"{token}%2F..%2F..%2F{PLAIN}",
        f"{token}%2F",
        f"{token}?state=failed",
        f"{token}#frag",
        f"{token} with space",
        f"{token}-ünï-日本",
        f"{token}\x00nul",
        f"{token}\r\nX-Injected: 1",
        f"{token}\x7f\x1b[31m",
        f"{token}\\..\\..",
        f"{token};jsessionid=1",
        token + "a" * 10_240,
    ]


RunCall = Callable[[Client, str, str], Any]
#: Operations on one run: (name, call, the route suffix it may use).
RUN_CALLS: list[tuple[str, RunCall]] = [
    ("get", lambda c, d, r: c.dag_runs.get(d, r)),
    ("update state", lambda c, d, r: c.dag_runs.update(d, r, state="failed")),
    ("update note", lambda c, d, r: c.dag_runs.update(d, r, note="hostile")),
    ("set_note", lambda c, d, r: c.dag_runs.set_note(d, r, "hostile")),
    ("delete", lambda c, d, r: c.dag_runs.delete(d, r)),
    ("clear dry", lambda c, d, r: c.dag_runs.clear(d, r)),
    ("clear real", lambda c, d, r: c.dag_runs.clear(d, r, dry_run=False)),
    ("upstream_events", lambda c, d, r: c.dag_runs.upstream_events(d, r)),
]


class RouteGuard:
    """An httpx request hook: refuses (raises before sending) any request under `/dags/` whose
    decoded path is not the expected route, and keeps the raw paths it let through."""

    def __init__(self, api: str) -> None:
        self.api = api
        self.expected: tuple[str, str | None] | None = None
        self.sent: list[str] = []

    def __call__(self, request: httpx.Request) -> None:
        raw = request.url.raw_path.decode("ascii").partition("?")[0]
        segments = [unquote(part) for part in raw.split("/")]
        if segments[3:4] != ["dags"]:
            return  # detection or login: not an id route
        assert self.expected is not None, f"unexpected request {raw}"
        dag_id, run_id = self.expected
        head = ["", "api", self.api, "dags", dag_id, "dagRuns"]
        if segments[: len(head)] != head:
            raise AssertionError(f"refused to send {request.method} {raw}: not {head}")
        rest = segments[len(head) :]
        if run_id is None:
            ok = rest == []
        else:
            ok = rest[:1] == [run_id] and tuple(rest[1:]) in RUN_SUFFIXES
        if not ok:
            raise AssertionError(f"refused to send {request.method} {raw}: {rest} after {head}")
        self.sent.append(f"{request.method} {raw}")


@pytest.fixture
def guarded(live_server: dict[str, Any]) -> Iterator[tuple[Client, RouteGuard]]:
    guard = RouteGuard(str(live_server["api"]))
    http = httpx.Client(timeout=120, event_hooks={"request": [guard]})
    with (
        http,
        Client(
            str(live_server["base_url"]),
            username=str(live_server["username"]),
            password=str(live_server["password"]),
            http_client=http,
        ) as client,
    ):
        yield client, guard


@pytest.fixture
def sentinel(guarded: tuple[Client, RouteGuard]) -> Iterator[tuple[str, dict[str, datetime]]]:
    """A run of our own in the shared DAG, with a logical date in a minute of its own."""
    client, guard = guarded
    run_id = f"sentinel-{uuid.uuid4().hex[:10]}"
    when = datetime(2024, 3, 1, tzinfo=UTC) + timedelta(minutes=random.randrange(400_000))
    guard.expected = (PLAIN, None)
    client.dag_runs.trigger(PLAIN, run_id=run_id, logical_date=when)
    window = {"logical_date_gte": when, "logical_date_lte": when}
    yield run_id, window
    guard.expected = (PLAIN, run_id)
    try:
        client.dag_runs.set_state(PLAIN, run_id, "failed")  # 3.3.2 refuses to delete a running run
        client.dag_runs.delete(PLAIN, run_id)
    except NotFound:
        pass


def outcome(call: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
    """The status of the server's refusal; anything else fails the test."""
    try:
        result = call(*args, **kwargs)
    except ApiError as exc:
        return exc.status
    raise AssertionError(f"a hostile id was answered with success: {result!r}")


def test_hostile_ids_reach_only_their_own_route_and_touch_nothing_else(
    guarded: tuple[Client, RouteGuard], sentinel: tuple[str, dict[str, datetime]]
) -> None:
    client, guard = guarded
    sentinel_id, window = sentinel
    token = f"hostile-{uuid.uuid4().hex[:8]}"
    missing_dag = f"{token}-no-such-dag"
    seen: dict[tuple[str, str, int], int] = {}
    for hostile in hostile_ids(token):
        for name, call in RUN_CALLS:
            for dag_id, run_id in ((PLAIN, hostile), (missing_dag, hostile), (hostile, token)):
                guard.expected = (dag_id, run_id)
                before = len(guard.sent)
                status = outcome(call, client, dag_id, run_id)
                assert status in SERVER_REFUSALS, (name, dag_id[:40], run_id[:40], status)
                assert len(guard.sent) > before, "the call was answered without a request"
                key = (name, "run_id" if dag_id != hostile else "dag_id", status)
                seen[key] = seen.get(key, 0) + 1
        guard.expected = (hostile, None)
        status = outcome(client.dag_runs.trigger, hostile, run_id=token)
        assert status in SERVER_REFUSALS, ("trigger", hostile[:40], status)

    guard.expected = (PLAIN, sentinel_id)
    assert client.dag_runs.get(PLAIN, sentinel_id).run_id == sentinel_id
    guard.expected = (PLAIN, None)
    listed = client.dag_runs.list(PLAIN, **window)  # NotFound if the DAG had gone
    assert [run.run_id for run in listed] == [sentinel_id]
    # No hostile id created or kept a run: nothing carries the token.
    guard.expected = ("~", None)
    assert not [r for r in client.dag_runs.list("~", **window) if token in r.run_id]
    print(sorted(seen.items()))


@pytest.mark.parametrize("slashed", ["x/taskInstances", "../../dags", "a/../..", "/", "a/"])
def test_ids_with_a_slash_are_refused_before_anything_is_sent(
    guarded: tuple[Client, RouteGuard], slashed: str
) -> None:
    client, guard = guarded
    guard.expected = None  # any request under /dags/ fails the guard
    for _name, call in RUN_CALLS:
        for dag_id, run_id in ((PLAIN, slashed), (slashed, "r1")):
            with pytest.raises(InvalidArgument, match="decodes %2F"):
                call(client, dag_id, run_id)
    with pytest.raises(InvalidArgument, match="decodes %2F"):
        client.dag_runs.trigger(slashed)
    assert guard.sent == []


def test_a_slash_sent_as_2f_is_decoded_by_the_server_before_routing(
    live_server: dict[str, Any],
) -> None:
    """Why `/` is refused: a read-only GET with a pre-encoded raw path (no `..`), checked
    before it is sent, reaches the task instances route of run `x`, not a run of that id."""
    base = str(live_server["base_url"])
    raw = f"/api/{live_server['api']}/dags/{PLAIN}/dagRuns/no-such-run%2FtaskInstances"
    auth = (str(live_server["username"]), str(live_server["password"]))
    with httpx.Client(base_url=base, timeout=120) as http:
        request = http.build_request("GET", base + raw)
        assert request.url.raw_path.decode() == raw
        if live_server["api"] == "v2":  # Airflow 3: HTTP Basic is not accepted; log in
            login = http.post("/auth/token", json={"username": auth[0], "password": auth[1]})
            request.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
            answer = http.send(request)
            # The task instances route, looking up run "no-such-run": not "…%2FtaskInstances".
            assert answer.status_code == 404
            assert "`no-such-run`" in answer.text and "taskInstances" not in answer.text
        else:
            answer = http.send(request, auth=httpx.BasicAuth(*auth))
            # 2.10.5 lists task instances (none), as for ".../no-such-run/taskInstances".
            assert answer.status_code == 200
            assert "task_instances" in answer.json()
