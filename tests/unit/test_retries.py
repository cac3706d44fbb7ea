"""Retries, safe trigger resends, politeness, observability and resumable listings, on the
fake Airflow (both generations), for `Client` and `AsyncClient` alike.

Pauses are never waited out: the drivers' sleep is replaced by a test clock that records
each pause and moves on, and the policy reads the same clock, so the assertions are on the
`Sleep` steps the plans yield, never on wall-clock time.
"""

from __future__ import annotations

import inspect
import logging
import re
from typing import Any

import anyio
import httpx
import pytest
from airflow_bridge.adapters import ApiRequest, Reply

from airflow_bridge import AsyncClient, Client, DagRun
from airflow_bridge import _plans as plans
from airflow_bridge._async.dag_runs import AsyncRunIterator
from airflow_bridge._dag_runs import new_run_id
from airflow_bridge.errors import (
    Conflict,
    InvalidArgument,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    WaitTimeout,
)
from airflow_bridge.retries import (
    NO_RETRIES,
    OPERATION_RULES,
    Event,
    RetryPolicy,
    retry_policy,
)
from airflow_bridge.testing import FakeAirflow

VERSIONS = ["2.10.5", "3.3.2"]
SIDES = ["sync", "async"]
DAG = "etl"
BASE = "http://127.0.0.1:8080"  # loopback: plain http with credentials is fine here


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Clock:
    """A monotonic clock that only moves when the client sleeps; records each pause."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr("airflow_bridge._sync.driver.sleep", clock.sleep)
    monkeypatch.setattr("airflow_bridge._async.driver.async_sleep", clock.async_sleep)
    return clock


def policy(clock: Clock, **kwargs: Any) -> RetryPolicy:
    return RetryPolicy(clock=clock, random=lambda: 0.5, **kwargs)


class Side:
    """One client, sync or async, called the same way from an async test."""

    def __init__(
        self,
        kind: str,
        fake: FakeAirflow,
        *,
        lose: LoseAnswers | None = None,
        **options: Any,
    ) -> None:
        self.events: list[Event] = []
        options.setdefault("on_event", self.events.append)
        if kind == "sync":
            transport: Any = fake.transport()
            if lose is not None:
                transport = lose.wrap(transport)
            self.client: Client | AsyncClient = Client(
                BASE, username="admin", password="admin", transport=transport, **options
            )
        else:
            transport = fake.async_transport()
            if lose is not None:
                transport = lose.wrap_async(transport)
            self.client = AsyncClient(
                BASE, username="admin", password="admin", transport=transport, **options
            )

    async def __call__(self, operation: str, *args: Any, **kwargs: Any) -> Any:
        result = getattr(self.client.dag_runs, operation)(*args, **kwargs)
        return await result if inspect.isawaitable(result) else result

    def retries(self) -> list[Event]:
        return [event for event in self.events if event.kind == "retry"]

    def statuses(self, operation: str) -> list[int | None]:
        return [e.status for e in self.events if e.kind == "request" and e.operation == operation]


class LoseAnswers:
    """A transport wrapper that lets the server process a request, then loses its answer
    (as a connection reset after the server wrote it would): the first `times` requests
    with `method` to a path ending in `suffix`."""

    def __init__(self, method: str, suffix: str = "/dagRuns", times: int = 1) -> None:
        self.method, self.suffix, self.left = method, suffix, times

    def _lose(self, request: httpx.Request) -> bool:
        ours = request.method == self.method and request.url.path.endswith(self.suffix)
        if ours and self.left > 0:
            self.left -= 1
            return True
        return False

    def wrap(self, inner: httpx.BaseTransport) -> httpx.BaseTransport:
        outer = self

        class Losing(httpx.BaseTransport):
            def handle_request(self, request: httpx.Request) -> httpx.Response:
                response = inner.handle_request(request)
                if outer._lose(request):
                    response.read()
                    raise httpx.ReadError("connection reset after the answer", request=request)
                return response

        return Losing()

    def wrap_async(self, inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        outer = self

        class Losing(httpx.AsyncBaseTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                response = await inner.handle_async_request(request)
                if outer._lose(request):
                    await response.aread()
                    raise httpx.ReadError("connection reset after the answer", request=request)
                return response

        return Losing()


def runs_on(fake: FakeAirflow) -> list[DagRun]:
    with Client(
        BASE, username="admin", password="admin", transport=fake.transport(), retries=0
    ) as client:
        return client.dag_runs.list(DAG)


pytestmark = pytest.mark.anyio
both = pytest.mark.parametrize(("version", "side"), [(v, s) for v in VERSIONS for s in SIDES])


# -- transient failures ------------------------------------------------------------------


@both
async def test_a_503_with_retry_after_1_then_200_succeeds_after_one_second(
    version: str, side: str, clock: Clock
) -> None:
    fake = FakeAirflow(version, dags=[DAG])
    fake.add_run(DAG, "r1")
    fake.inject("get", status=503, retry_after=1)
    runs = Side(side, fake, retries=policy(clock))
    run = await runs("get", DAG, "r1")
    assert run.run_id == "r1"
    assert clock.slept == [1.0]  # the Retry-After, not the jittered backoff (0.25 here)
    assert runs.statuses("get") == [503, 200]
    (retry,) = runs.retries()
    assert (retry.operation, retry.status, retry.pause, retry.attempt) == ("get", 503, 1.0, 1)


@both
async def test_attempts_are_bounded_and_the_backoff_is_full_jitter(
    version: str, side: str, clock: Clock
) -> None:
    fake = FakeAirflow(version, dags=[DAG])
    fake.add_run(DAG, "r1")
    fake.inject("get", status=502, html=True, times=None)
    runs = Side(side, fake, retries=policy(clock, attempts=3, backoff=1.0))
    with pytest.raises(ServerError, match="502"):
        await runs("get", DAG, "r1")
    assert runs.statuses("get") == [502, 502, 502]
    assert clock.slept == [0.5, 1.0]  # random() * min(max_backoff, backoff * 2 ** (n - 1))


@both
async def test_no_retry_starts_past_the_deadline(version: str, side: str, clock: Clock) -> None:
    fake = FakeAirflow(version, dags=[DAG])
    fake.add_run(DAG, "r1")
    fake.inject("list", status=429, retry_after=2, times=None)
    runs = Side(side, fake, retries=policy(clock, attempts=10, deadline=5))
    with pytest.raises(RateLimited) as limited:
        await runs("list", DAG)
    assert clock.slept == [2.0, 2.0]  # a third pause would end 6 s after the first attempt
    assert limited.value.retry_after == 2.0


@both
async def test_retries_0_disables_retries(version: str, side: str, clock: Clock) -> None:
    fake = FakeAirflow(version, dags=[DAG])
    fake.add_run(DAG, "r1")
    fake.inject("get", status=503, retry_after=1)
    runs = Side(side, fake, retries=0)
    with pytest.raises(ServerError):
        await runs("get", DAG, "r1")
    assert (runs.statuses("get"), clock.slept, runs.retries()) == ([503], [], [])


@both
async def test_a_retry_after_beyond_the_cap_is_raised_at_once(
    version: str, side: str, clock: Clock
) -> None:
    fake = FakeAirflow(version, dags=[DAG])
    fake.inject("trigger", status=429, retry_after=3600)
    runs = Side(side, fake, retries=policy(clock))
    with pytest.raises(RateLimited) as limited:
        await runs("trigger", DAG)
    assert (limited.value.retry_after, clock.slept) == (3600.0, [])


@both
async def test_refused_connections_and_dropped_reads_are_retried(
    version: str, side: str, clock: Clock
) -> None:
    fake = FakeAirflow(version, dags=[DAG])
    fake.add_run(DAG, "r1")
    runs = Side(side, fake, retries=policy(clock))
    fake.inject("get", drop="refuse")  # (two rules would both count the first request)
    assert (await runs("get", DAG, "r1")).run_id == "r1"
    fake.inject("get", drop=True)
    assert (await runs("get", DAG, "r1")).run_id == "r1"
    assert [e.error for e in runs.retries()] == ["ConnectError", "RemoteProtocolError"]


@both
async def test_a_read_timeout_is_retried(version: str, side: str, clock: Clock) -> None:
    fake = FakeAirflow(version, dags=[DAG])
    fake.add_run(DAG, "r1")
    runs = Side(side, fake, retries=policy(clock), timeout=0.05)
    await runs("count", DAG)  # detected and logged in before the slow answer
    fake.inject("get", delay=1.0)  # past the read timeout: httpx.ReadTimeout
    assert (await runs("get", DAG, "r1")).run_id == "r1"
    assert [e.error for e in runs.retries()] == ["ReadTimeout"]


@both
async def test_a_write_is_retried_after_a_429_and_a_refused_connection(
    version: str, side: str, clock: Clock
) -> None:
    fake = FakeAirflow(version, dags=[DAG])
    fake.add_run(DAG, "r1")
    runs = Side(side, fake, retries=policy(clock))
    fake.inject("update", status=429, retry_after=0)
    assert (await runs("set_state", DAG, "r1", "failed")).state == "failed"
    fake.inject("update", drop="refuse")
    assert (await runs("set_state", DAG, "r1", "queued")).state == "queued"
    assert [(e.status, e.error) for e in runs.retries()] == [(429, None), (None, "ConnectError")]


# -- resends that must not do a thing twice ------------------------------------------------


@both
async def test_a_trigger_whose_answer_is_lost_makes_exactly_one_run(
    version: str, side: str, clock: Clock
) -> None:
    fake = FakeAirflow(version, dags=[DAG])
    runs = Side(side, fake, retries=policy(clock), lose=LoseAnswers("POST"))
    run = await runs("trigger", DAG, conf={"x": 1})
    assert runs.statuses("trigger") == [None, 409]  # lost, then "already exists": ours
    assert runs.statuses("get") == [200]  # fetched and compared
    (only,) = runs_on(fake)
    assert (only.run_id, only.conf) == (run.run_id, {"x": 1})


@both
@pytest.mark.parametrize(("drop", "fetched"), [(True, [200]), ("refuse", [])])
async def test_a_resent_trigger_meeting_another_run_is_a_conflict(
    version: str, side: str, drop: bool | str, fetched: list[int], clock: Clock
) -> None:
    fake = FakeAirflow(version, dags=[DAG])
    fake.add_run(DAG, "taken", conf={"someone": "else"})
    fake.inject("trigger", drop=drop)
    runs = Side(side, fake, retries=policy(clock))
    with pytest.raises(Conflict):
        await runs("trigger", DAG, run_id="taken", conf={"x": 1})
    # a hang-up may follow processing: the 409 is checked (another conf: Conflict); a
    # refused connection never reached the server: the 409 is simply another run's
    assert runs.statuses("get") == fetched


@both
async def test_a_resent_trigger_409_with_other_conf_is_a_conflict(
    version: str, side: str, clock: Clock
) -> None:
    fake = FakeAirflow(version, dags=[DAG])
    fake.add_run(DAG, "taken", conf={"someone": "else"})
    fake.inject("trigger", status=503)  # may have been processed: the 409 is checked
    runs = Side(side, fake, retries=policy(clock))
    with pytest.raises(Conflict):
        await runs("trigger", DAG, run_id="taken", conf={"x": 1})
    assert runs.statuses("get") == [200]
    assert [r.conf for r in runs_on(fake)] == [{"someone": "else"}]


@both
async def test_a_first_attempt_409_stays_a_conflict(version: str, side: str, clock: Clock) -> None:
    fake = FakeAirflow(version, dags=[DAG])
    fake.add_run(DAG, "taken", conf={"x": 1})
    runs = Side(side, fake, retries=policy(clock))
    with pytest.raises(Conflict):
        await runs("trigger", DAG, run_id="taken", conf={"x": 1})
    assert runs.statuses("get") == []


@both
async def test_a_delete_answered_404_after_a_lost_answer_is_success(
    version: str, side: str, clock: Clock
) -> None:
    fake = FakeAirflow(version, dags=[DAG])
    fake.add_run(DAG, "r1")
    runs = Side(side, fake, retries=policy(clock), lose=LoseAnswers("DELETE", suffix="/r1"))
    assert await runs("delete", DAG, "r1") is None
    assert runs.statuses("delete") == [None, 404]
    assert runs_on(fake) == []
    with pytest.raises(NotFound):  # not resent: a 404 is what it says
        await runs("delete", DAG, "r1")


@both
async def test_update_and_clear_are_resent_after_a_lost_answer(
    version: str, side: str, clock: Clock
) -> None:
    fake = FakeAirflow(version, dags=[DAG])
    fake.add_run(DAG, "r1", state="failed")
    lose = LoseAnswers("PATCH", suffix="/r1")
    runs = Side(side, fake, retries=policy(clock), lose=lose)
    assert (await runs("set_state", DAG, "r1", "success")).state == "success"
    assert runs.statuses("update")[:2] == [None, 200]
    lose.method, lose.suffix, lose.left = "POST", "/r1/clear", 1
    result = await runs("clear", DAG, "r1", dry_run=False)
    assert runs.statuses("clear") == [None, 200]
    assert result.dry_run is False


# -- politeness ----------------------------------------------------------------------------


async def test_a_client_has_at_most_max_concurrency_requests_in_flight() -> None:
    fake = FakeAirflow("3.3.2", dags=[DAG])
    fake.add_run(DAG, "r1")
    inner = fake.async_transport()
    flying = {"now": 0, "most": 0}

    class Counting(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            flying["now"] += 1
            flying["most"] = max(flying["most"], flying["now"])
            await anyio.sleep(0.01)
            try:
                return await inner.handle_async_request(request)
            finally:
                flying["now"] -= 1

    async with (
        AsyncClient(
            BASE, username="admin", password="admin", transport=Counting(), max_concurrency=3
        ) as client,
        anyio.create_task_group() as tasks,
    ):
        for _ in range(12):
            tasks.start_soon(client.dag_runs.get, DAG, "r1")
    assert flying["most"] == 3


def test_a_sync_client_has_at_most_max_concurrency_requests_in_flight() -> None:
    import threading
    import time

    fake = FakeAirflow("2.10.5", dags=[DAG])
    fake.add_run(DAG, "r1")
    inner = fake.transport()
    lock = threading.Lock()
    flying = {"now": 0, "most": 0}

    class Counting(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            with lock:
                flying["now"] += 1
                flying["most"] = max(flying["most"], flying["now"])
            time.sleep(0.01)
            try:
                return inner.handle_request(request)
            finally:
                with lock:
                    flying["now"] -= 1

    with Client(
        BASE, username="admin", password="admin", transport=Counting(), max_concurrency=2
    ) as client:
        threads = [
            threading.Thread(target=client.dag_runs.get, args=(DAG, "r1")) for _ in range(10)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert flying["most"] == 2


@pytest.mark.parametrize(("retries", "statuses"), [(None, [503, 200]), (0, [503])])
def test_a_fleet_passes_its_retry_policy_to_the_clients_it_builds(
    retries: int | None, statuses: list[int], clock: Clock
) -> None:
    from airflow_bridge.fleet import Fleet, Server

    fakes = {v: FakeAirflow(v, dags=[DAG]) for v in VERSIONS}
    for fake in fakes.values():
        fake.add_run(DAG, "r1")
        fake.inject("get", status=503, retry_after=1)
    members = {
        v: Server(BASE, username="admin", password="admin", transport=fake.async_transport())
        for v, fake in fakes.items()
    }
    with Fleet(members, retries=retries) as fleet:
        result = fleet.dag_runs.get(DAG, "r1")
    if retries == 0:
        assert all(isinstance(o.error, ServerError) for o in result.outcomes.values())
    else:
        assert result.ok and len(result) == 2
        assert clock.slept == [1.0, 1.0]  # one Retry-After pause per server
    for fake in fakes.values():  # the injected 503 never reaches the API; the 200 does
        assert len([r for r in fake.requests if r.path.endswith("/r1")]) == len(statuses) - 1


@pytest.mark.parametrize("side", SIDES)
async def test_wait_backs_off_to_a_cap_and_keeps_a_deadline(side: str, clock: Clock) -> None:
    fake = FakeAirflow("3.3.2", dags=[DAG])
    fake.add_run(DAG, "r1", state="running")
    polled = iter(range(100))

    def finish(event: Event) -> None:
        if event.kind == "request" and event.operation == "wait" and next(polled) == 4:
            fake.advance("r1", "success", dag_id=DAG)  # after the 5th poll's answer

    runs = Side(side, fake, on_event=finish)
    run = await runs("wait", DAG, "r1", interval=2, max_interval=5, timeout=600)
    assert run.state == "success"
    assert clock.slept == [2, 3, 4.5, 5, 5]  # grows by half, capped at max_interval


@pytest.mark.parametrize("side", SIDES)
async def test_wait_polls_last_at_its_timeout_then_gives_up(side: str, clock: Clock) -> None:
    fake = FakeAirflow("2.10.5", dags=[DAG])
    fake.add_run(DAG, "r1", state="running")
    runs = Side(side, fake, retries=policy(clock))
    with pytest.raises(WaitTimeout) as caught:
        await runs("wait", DAG, "r1", interval=2, max_interval=5, timeout=10)
    assert clock.slept == [2, 3, 4.5, 0.5]  # the 4th pause is cut to end at the timeout
    assert len(runs.statuses("wait")) == 5
    assert caught.value.last.state == "running"


@pytest.mark.parametrize("side", SIDES)
async def test_wait_stops_at_its_deadline(side: str, clock: Clock) -> None:
    from datetime import datetime, timedelta, timezone

    fake = FakeAirflow("3.3.2", dags=[DAG])
    fake.add_run(DAG, "r1", state="running")
    runs = Side(side, fake, retries=policy(clock))
    soon = datetime.now(timezone.utc) + timedelta(seconds=3)
    with pytest.raises(WaitTimeout):
        await runs("wait", DAG, "r1", interval=2, timeout=600, deadline=soon)
    assert 2.5 < sum(clock.slept) <= 3.0  # the deadline, not the timeout, ended it


def test_wait_refuses_a_naive_deadline() -> None:
    from datetime import datetime

    fake = FakeAirflow("3.3.2", dags=[DAG])
    with (
        Client(BASE, transport=fake.transport()) as client,
        pytest.raises(InvalidArgument, match="deadline"),
    ):
        client.dag_runs.wait(DAG, "r1", deadline=datetime(2030, 1, 1))
    assert fake.requests == []


# -- nothing lost --------------------------------------------------------------------------


@both
async def test_an_iterator_resumes_after_a_failed_page(
    version: str, side: str, clock: Clock
) -> None:
    fake = FakeAirflow(version, dags=[DAG])
    for n in range(5):
        fake.add_run(DAG, f"r{n}")
    runs = Side(side, fake, retries=0)
    listing = runs.client.dag_runs.iter(DAG, page_size=2)
    seen: list[str] = []

    async def drain() -> None:
        def take(run: DagRun) -> None:
            seen.append(run.run_id)
            if len(seen) == 2:
                fake.inject("list", status=500)  # the next page fails (retries=0)

        if isinstance(listing, AsyncRunIterator):
            async for run in listing:
                take(run)
        else:
            for run in listing:
                take(run)

    with pytest.raises(ServerError):
        await drain()
    assert len(seen) == 2 and listing.yielded == 2
    await drain()  # the same iterator again: the failed page is asked for again
    assert sorted(seen) == [f"r{n}" for n in range(5)]


# -- observability -------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_each_request_is_logged_at_debug_without_secrets(
    version: str, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    password = "Pw-7f3!secret"
    fake = FakeAirflow(version, users={"admin": password}, dags=[DAG])
    fake.add_run(DAG, "r1")
    fake.inject("get", status=503, retry_after=1)
    caplog.set_level(logging.DEBUG, logger="airflow_bridge")
    with Client(
        BASE,
        username="admin",
        password=password,
        transport=fake.transport(),
        retries=policy(clock),
    ) as client:
        client.dag_runs.get(DAG, "r1")
    lines = [r.getMessage() for r in caplog.records if r.name == "airflow_bridge"]
    assert any(
        re.search(r"get GET /api/v\d/dags/etl/dagRuns/r1 -> 503 .*attempt 1", x) for x in lines
    )
    assert any("-> 200" in line and "attempt 2" in line for line in lines)
    assert any("retrying in 1.00 s" in line for line in lines)
    everything = "\n".join(lines)
    assert password not in everything
    assert "authorization" not in everything.lower()
    assert "bearer" not in everything.lower() and "basic " not in everything.lower()


# -- the parts -----------------------------------------------------------------------------


def test_client_made_run_ids_match_both_generations_default_pattern() -> None:
    made = {new_run_id() for _ in range(1000)}
    assert len(made) == 1000
    for run_id in made:
        assert re.fullmatch(r"[A-Za-z0-9_.~:+-]+", run_id)
        assert run_id.startswith("manual__") and len(run_id) <= 250


def test_retry_policy_arguments() -> None:
    assert retry_policy(0) is NO_RETRIES
    assert retry_policy(2).attempts == 3
    for wrong in (-1, True, "3", 1.5):
        with pytest.raises(InvalidArgument):
            retry_policy(wrong)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        RetryPolicy(attempts=0)
    with pytest.raises(InvalidArgument, match="max_concurrency"):
        Client("http://x", max_concurrency=0)
    with pytest.raises(InvalidArgument, match="on_event"):
        Client("http://x", on_event="print")  # type: ignore[arg-type]


def drive(plan: plans.Plan[Any], answers: list[Reply | plans.Lost]) -> list[plans.Step]:
    """Run a plan against canned answers; the steps it yielded (its result is ignored)."""
    steps: list[plans.Step] = []
    answer: Any = None
    try:
        while True:
            step = plan.send(answer)
            steps.append(step)
            answer = answers.pop(0) if isinstance(step, plans.Send) else None
    except StopIteration:
        return steps


def reply(status: int, **headers: str) -> Reply:
    return Reply(status=status, headers=headers, content=b"{}")


def test_the_plan_yields_a_sleep_and_the_same_request_again() -> None:
    clock = Clock()
    request = ApiRequest("GET", "/api/v2/dags/etl/dagRuns/r1")
    retrying = plans.Retrying(policy(clock), "get")
    steps = drive(
        plans.send(retrying, request), [reply(503, **{"retry-after": "1"}), reply(504), reply(200)]
    )
    sends = [s for s in steps if isinstance(s, plans.Send)]
    sleeps = [s for s in steps if isinstance(s, plans.Sleep)]
    assert [(s.request, s.attempt) for s in sends] == [(request, 1), (request, 2), (request, 3)]
    assert [s.seconds for s in sleeps] == [1.0, 0.5]  # Retry-After, then 0.5 * 0.5 * 2


def test_a_retry_after_http_date_is_measured_from_the_answers_date() -> None:
    clock = Clock()
    retrying = plans.Retrying(policy(clock), "list")
    limited = reply(
        429,
        **{"retry-after": "Sun, 29 Nov 2026 14:00:05 GMT", "date": "Sun, 29 Nov 2026 14:00:02 GMT"},
    )
    steps = drive(plans.send(retrying, ApiRequest("GET", "/x")), [limited, reply(200)])
    assert [s.seconds for s in steps if isinstance(s, plans.Sleep)] == [3.0]


def test_a_409_after_a_429_is_not_checked_the_429_reached_nothing() -> None:
    from airflow_bridge.adapters import V2Adapter

    from airflow_bridge.models import ServerInfo

    adapter = V2Adapter(ServerInfo(base_url="http://x", api="v2"))
    request = adapter.trigger(
        DAG, run_id="r1", logical_date=None, conf=None, note=None, data_interval=None
    )
    plan = plans.trigger(
        plans.Retrying(policy(Clock()), "trigger"),
        adapter,
        request,
        dag_id=DAG,
        run_id="r1",
        logical_date=None,
        conf=None,
    )
    with pytest.raises(Conflict):
        drive(plan, [reply(429, **{"retry-after": "0"}), reply(409)])


def test_a_non_repeatable_rule_is_not_resent_after_a_lost_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from airflow_bridge.retries import Rule

    monkeypatch.setitem(OPERATION_RULES, "trigger", Rule(False, "test"))  # type: ignore[index]
    lost = plans.Lost(TransportError("reset", method="POST", url="u"), sent=True)
    retrying = plans.Retrying(RetryPolicy(), "trigger")
    with pytest.raises(TransportError):
        drive(plans.send(retrying, ApiRequest("POST", "/x")), [lost])
    refused = plans.Lost(TransportError("refused", method="POST", url="u"), sent=False)
    steps = drive(plans.send(retrying, ApiRequest("POST", "/x")), [refused, reply(200)])
    assert len(steps) == 3  # never sent: resent whatever the rule


def test_every_operation_the_facade_runs_has_a_rule() -> None:
    source = "".join(
        inspect.getsource(__import__(f"airflow_bridge._async.{name}", fromlist=["x"]))
        for name in ("dag_runs", "dags", "tasks")
    )
    used = set(re.findall(r'retrying\(\s*"([\w.]+)"', source))
    used |= set(re.findall(r'"(task_instances\.[\w.]+)"', source))
    assert used <= set(OPERATION_RULES)
    assert used | {"detect"} == set(OPERATION_RULES)


README_TABLE = re.compile(r"<!-- retry-table:start -->\n(.*?)<!-- retry-table:end -->", re.DOTALL)


def test_the_readme_retry_table_is_the_declared_one() -> None:
    """The README's table (between the retry-table markers) is `retry_table()`'s output, so
    the documented rules are the rules the plans follow."""
    from pathlib import Path

    from airflow_bridge.retries import retry_table

    table = retry_table()
    assert all(f"| {name} |" in table for name in OPERATION_RULES)
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    found = README_TABLE.search(readme)
    assert found is not None, "README.md lost its retry-table markers"
    assert found.group(1) == table
