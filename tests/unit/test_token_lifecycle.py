"""Airflow 3's token lifecycle through the library, on the fake 3.3.2 (issue 11): one login
shared by concurrent threads and tasks, a refresh ahead of expiry measured on the client's own
clock (so server clock skew does not matter), one re-login after 401 "Token Expired" or 403
"Invalid JWT token" (secret rotation) and never a loop, login failures typed with the
server's words, a 503 at the login retried like any request, and an expiry in the middle of
`iter()` that loses and repeats nothing.

Logins are counted on the fake (`fake.requests` records every request it answered).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from airflow_bridge import AsyncClient, Client
from airflow_bridge.errors import AuthenticationError, ServerError
from airflow_bridge.retries import Event, RetryPolicy
from airflow_bridge.testing import FakeAirflow, ManualClock
from airflow_bridge.testing._transport import sync_handler

QUICK = RetryPolicy(attempts=3, backoff=0.0)


def logins(fake: FakeAirflow) -> int:
    return sum(1 for r in fake.requests if r.method == "POST" and r.path == "/auth/token")


def answered(fake: FakeAirflow, path: str) -> int:
    return sum(1 for r in fake.requests if r.method == "GET" and r.path == path)


def client_for(fake: FakeAirflow, **options: Any) -> Client:
    options.setdefault("transport", fake.transport())
    options.setdefault("retries", QUICK)
    return Client(fake.base_url, username="admin", password="admin", **options)


def async_client_for(fake: FakeAirflow, **options: Any) -> AsyncClient:
    options.setdefault("retries", QUICK)
    return AsyncClient(
        fake.base_url,
        username="admin",
        password="admin",
        transport=fake.async_transport(),
        **options,
    )


DAG_PATH = "/api/v2/dags/bridge_plain"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# -- single flight ---------------------------------------------------------------------------


def slow_login(fake: FakeAirflow) -> None:
    """The login takes 50 ms (the others meanwhile reach the auth flow), and the server is
    known (`api="v2"`), so no version probe lines the requests up first."""
    fake.inject("token", delay=0.05, times=None)


def test_100_threads_on_a_fresh_client_make_one_login() -> None:
    fake = FakeAirflow("3.3.2")
    slow_login(fake)
    start = threading.Barrier(100)

    def one(client: Client) -> str:
        start.wait()
        return client.dags.get("bridge_plain").dag_id

    with (
        client_for(fake, max_concurrency=100, api="v2") as client,
        ThreadPoolExecutor(max_workers=100) as pool,
    ):
        got = list(pool.map(one, [client] * 100))
    assert got == ["bridge_plain"] * 100
    assert answered(fake, DAG_PATH) == 100
    assert logins(fake) == 1


@pytest.mark.anyio
async def test_100_tasks_on_a_fresh_client_make_one_login() -> None:
    fake = FakeAirflow("3.3.2")
    slow_login(fake)
    async with async_client_for(fake, max_concurrency=100, api="v2") as client:
        got = await asyncio.gather(*(client.dags.get("bridge_plain") for _ in range(100)))
    assert [dag.dag_id for dag in got] == ["bridge_plain"] * 100
    assert answered(fake, DAG_PATH) == 100
    assert logins(fake) == 1


# -- refresh ahead of expiry, on the client's clock ------------------------------------------


def test_the_token_is_renewed_a_margin_before_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lifetime 600 s (exp - iat): used until 570 s after the login was sent, renewed after,
    before the server ever refuses it."""
    now = [0.0]
    monkeypatch.setattr("airflow_bridge._auth.time.monotonic", lambda: now[0])
    fake = FakeAirflow("3.3.2", token_lifetime=600)
    events: list[Event] = []
    with client_for(fake, on_event=events.append) as client:
        client.dags.get("bridge_plain")
        now[0] = 569.0
        client.dags.get("bridge_plain")
        assert logins(fake) == 1
        now[0] = 571.0
        client.dags.get("bridge_plain")
    assert logins(fake) == 2
    assert {e.status for e in events if e.kind == "request"} == {200}  # never refused


def test_a_server_clock_hours_behind_does_not_shorten_the_token() -> None:
    """The server's clock is 2 hours behind: its tokens' `exp` is already past on the
    client's wall clock, yet they are good for an hour. The lifetime (`exp - iat`) is
    measured on the client's clock, so one login serves every request."""
    behind = ManualClock(datetime.now(timezone.utc) - timedelta(hours=2))
    fake = FakeAirflow("3.3.2", clock=behind, token_lifetime=3600)
    with client_for(fake) as client:
        for _ in range(20):
            client.dags.get("bridge_plain")
    assert logins(fake) == 1


# -- re-login once on a rejected token, never a loop -----------------------------------------


def test_an_expired_token_is_renewed_once_and_the_request_sent_again() -> None:
    fake = FakeAirflow("3.3.2", token_lifetime=3600)
    with client_for(fake) as client:
        client.dags.get("bridge_plain")
        fake.clock.advance(3601)  # the server's clock: the client's still says "fresh"
        assert client.dags.get("bridge_plain").dag_id == "bridge_plain"
    assert logins(fake) == 2
    assert answered(fake, DAG_PATH) == 3  # the first, the one refused "Token Expired", again


def test_a_rotated_secret_is_one_more_login() -> None:
    fake = FakeAirflow("3.3.2")
    with client_for(fake) as client:
        client.dags.get("bridge_plain")
        fake.rotate_secret()
        assert client.dags.get("bridge_plain").dag_id == "bridge_plain"
        assert client.dags.get("bridge_plain").dag_id == "bridge_plain"
    assert logins(fake) == 2
    assert answered(fake, DAG_PATH) == 4


def test_rotate_secret_refuses_old_tokens_with_the_servers_words() -> None:
    fake = FakeAirflow("3.3.2")
    http = httpx.Client(transport=fake.transport(), base_url=fake.base_url)
    token = http.post("/auth/token", json={"username": "admin", "password": "admin"})
    bearer = {"authorization": f"Bearer {token.json()['access_token']}"}
    assert http.get(DAG_PATH, headers=bearer).status_code == 200
    fake.rotate_secret()
    refused = http.get(DAG_PATH, headers=bearer)
    assert (refused.status_code, refused.json()) == (403, {"detail": "Invalid JWT token"})
    with pytest.raises(ValueError, match="Airflow 3 only"):
        FakeAirflow("2.10.5").rotate_secret()


def rotating_on_every_login(fake: FakeAirflow) -> httpx.MockTransport:
    """A server whose every token is refused: the secret changes right after each login."""
    handle = sync_handler(fake)

    def respond(request: httpx.Request) -> httpx.Response:
        response = handle(request)
        if request.url.path == "/auth/token":
            fake.rotate_secret()
        return response

    return httpx.MockTransport(respond)


def test_a_server_refusing_every_token_gets_one_relogin_then_authentication_error() -> None:
    fake = FakeAirflow("3.3.2")
    with (
        client_for(fake, transport=rotating_on_every_login(fake)) as client,
        pytest.raises(AuthenticationError, match="Invalid JWT token") as raised,
    ):
        client.dags.get("bridge_plain")
    assert raised.value.status == 403
    assert logins(fake) == 2  # the login and one re-login: never a loop
    assert answered(fake, DAG_PATH) == 2


def test_tokens_that_are_always_expired_are_not_a_loop_either() -> None:
    fake = FakeAirflow("3.3.2", token_lifetime=0)
    with (
        client_for(fake) as client,
        pytest.raises(AuthenticationError, match="Token Expired") as raised,
    ):
        client.dags.get("bridge_plain")
    assert raised.value.status == 401
    assert logins(fake) == 2
    assert answered(fake, DAG_PATH) == 2


@pytest.mark.anyio
async def test_async_relogin_after_expiry_and_rotation() -> None:
    fake = FakeAirflow("3.3.2", token_lifetime=3600)
    async with async_client_for(fake) as client:
        await client.dags.get("bridge_plain")
        fake.clock.advance(3601)
        await client.dags.get("bridge_plain")
        fake.rotate_secret()
        fake.inject("get_dag", delay=0.02, times=None)  # the 20 requests overlap
        got = await asyncio.gather(*(client.dags.get("bridge_plain") for _ in range(20)))
    assert len(got) == 20
    assert logins(fake) == 3  # first, after the expiry, after the rotation (one for 20 tasks)


def test_threads_refused_together_share_one_relogin() -> None:
    fake = FakeAirflow("3.3.2")
    with client_for(fake, max_concurrency=20) as client:
        client.dags.get("bridge_plain")
        fake.rotate_secret()
        fake.inject("get_dag", delay=0.02, times=None)  # the 20 requests overlap
        with ThreadPoolExecutor(max_workers=20) as pool:
            got = list(pool.map(lambda _: client.dags.get("bridge_plain"), range(20)))
    assert len(got) == 20
    assert logins(fake) == 2  # one re-login for the 20 refused together


# -- a failed login --------------------------------------------------------------------------


def test_a_refused_login_is_authentication_error_with_the_servers_words() -> None:
    fake = FakeAirflow("3.3.2")
    wrong = Client(fake.base_url, username="admin", password="wrong-pw", transport=fake.transport())
    with wrong as client, pytest.raises(AuthenticationError) as raised:
        client.dags.get("bridge_plain")
    assert raised.value.status == 401
    assert "Invalid credentials" in str(raised.value)  # 3.3.2's own words
    assert "wrong-pw" not in str(raised.value)
    assert logins(fake) == 1  # a refused login is not retried


def login_events(events: list[Event]) -> list[tuple[str, int | None]]:
    return [(e.kind, e.status) for e in events if e.path == "/auth/token"]


def test_a_503_at_the_login_is_retried_like_any_request() -> None:
    fake = FakeAirflow("3.3.2")
    fake.inject("token", status=503, retry_after=0)
    events: list[Event] = []
    with client_for(fake, on_event=events.append) as client:
        assert client.dags.get("bridge_plain").dag_id == "bridge_plain"
    assert login_events(events) == [("request", 503)]
    assert [(e.operation, e.status) for e in events if e.kind == "retry"] == [("dags.get", 503)]
    assert logins(fake) == 1  # the fake records answered requests, not injected errors
    assert answered(fake, DAG_PATH) == 1


def test_a_login_that_keeps_failing_is_a_server_error_naming_the_login() -> None:
    fake = FakeAirflow("3.3.2")
    fake.inject("token", status=503, times=None)
    events: list[Event] = []
    with client_for(fake, on_event=events.append) as client, pytest.raises(ServerError) as raised:
        client.dags.get("bridge_plain")
    assert raised.value.status == 503
    assert raised.value.url.endswith("/auth/token")
    assert [kind for kind, _ in login_events(events)].count("request") == QUICK.attempts
    assert answered(fake, DAG_PATH) == 0


def test_a_503_at_the_login_is_retried_even_for_an_operation_never_resent() -> None:
    """A real task-instance clear is never resent once it may have been processed; a login
    that failed before it was sent leaves nothing to fear."""
    fake = FakeAirflow("3.3.2")
    with client_for(fake) as client:
        client.dags.unpause("bridge_failing")
        client.dag_runs.trigger("bridge_failing", run_id="tl-1")
        fake.advance("tl-1", "failed")
        fake.rotate_secret()  # the next request is refused, and the re-login meets a 503
        fake.inject("token", status=503, retry_after=0)
        cleared = client.task_instances.clear(
            "bridge_failing", "tl-1", only_failed=True, dry_run=False
        )
    assert cleared.task_instances


# -- an expiry in the middle of iter() -------------------------------------------------------


def seeded(runs: int) -> FakeAirflow:
    fake = FakeAirflow("3.3.2", token_lifetime=3600)
    for n in range(runs):
        fake.add_run("bridge_plain", f"tl-{n:03d}")
    return fake


def expire_after(fake: FakeAirflow, count: int) -> Callable[[int], None]:
    def maybe(seen: int) -> None:
        if seen == count:
            fake.clock.advance(3601)

    return maybe


def test_a_token_expiring_mid_iteration_loses_and_repeats_nothing() -> None:
    fake = seeded(95)
    expire = expire_after(fake, 25)
    seen: list[str] = []
    with client_for(fake) as client:
        for run in client.dag_runs.iter("bridge_plain", page_size=10):
            seen.append(run.run_id)
            expire(len(seen))
    assert sorted(seen) == [f"tl-{n:03d}" for n in range(95)]
    assert logins(fake) == 2


@pytest.mark.anyio
async def test_async_token_expiring_mid_iteration_loses_and_repeats_nothing() -> None:
    fake = seeded(95)
    expire = expire_after(fake, 25)
    seen: list[str] = []
    async with async_client_for(fake) as client:
        async for run in client.dag_runs.iter("bridge_plain", page_size=10):
            seen.append(run.run_id)
            expire(len(seen))
    assert sorted(seen) == [f"tl-{n:03d}" for n in range(95)]
    assert logins(fake) == 2
