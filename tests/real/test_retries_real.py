"""Safe resends, proven on the live servers: an answer lost AFTER the server processed the
request is resent, and the server ends up with exactly what one call would have made.

An httpx transport wrapper sends the request for real, reads the server's whole answer, then
raises `httpx.ReadError` as a connection reset after the server wrote would. The client
cannot tell this from any other lost answer, so it resends; the runs are then counted on the
server with a separate client. Every run is created in a logical-date minute of its own
(chosen at random, as the facade scenario does) so the count sees only this test's runs,
and is deleted at the end.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import httpx
import pytest

from airflow_bridge import AsyncClient, Client, RetryPolicy
from airflow_bridge.errors import Conflict, NotFound
from airflow_bridge.retries import Event

pytestmark = pytest.mark.real
DAG = "bridge_plain"
WINDOW_START = datetime(2024, 2, 1, tzinfo=UTC)
#: Fast pauses: the lost answers are simulated, the server is not overloaded.
POLICY = RetryPolicy(backoff=0.05, max_backoff=0.2)
#: The shared servers can be slow under the other tiers' load (as in the facade scenario).
TIMEOUT = 120.0


class LoseFirstAnswer(httpx.HTTPTransport):
    """The first `method` request to a path ending in `suffix` reaches the server and is
    processed; its answer is then thrown away and the request fails as a reset would."""

    def __init__(self, method: str, suffix: str) -> None:
        super().__init__()
        self.method, self.suffix, self.lost = method, suffix, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if self.lost == 0 and _matches(request, self.method, self.suffix):
            response.read()
            response.close()
            self.lost += 1
            raise httpx.ReadError("connection reset after the server answered", request=request)
        return response


class AsyncLoseFirstAnswer(httpx.AsyncHTTPTransport):
    """`LoseFirstAnswer` for `AsyncClient`."""

    def __init__(self, method: str, suffix: str) -> None:
        super().__init__()
        self.method, self.suffix, self.lost = method, suffix, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        if self.lost == 0 and _matches(request, self.method, self.suffix):
            await response.aread()
            await response.aclose()
            self.lost += 1
            raise httpx.ReadError("connection reset after the server answered", request=request)
        return response


def _matches(request: httpx.Request, method: str, suffix: str) -> bool:
    return request.method == method and request.url.raw_path.decode().split("?")[0].endswith(suffix)


def window() -> tuple[datetime, dict[str, datetime]]:
    """A logical date in a minute no other test uses, and the filter that sees only it."""
    minute = WINDOW_START + timedelta(minutes=uuid.uuid4().int % 400_000)
    return minute, {"logical_date_gte": minute, "logical_date_lte": minute + timedelta(seconds=59)}


def counting(server: dict[str, Any]) -> Client:
    return Client(
        str(server["base_url"]),
        username=str(server["username"]),
        password=str(server["password"]),
        retries=0,
        timeout=TIMEOUT,
    )


def test_a_trigger_whose_answer_is_lost_creates_exactly_one_run(
    live_server: dict[str, Any],
) -> None:
    """No run id given: the client makes one, resends it after the lost answer, and the
    resend's 409 is recognised as its own run; the server holds one run, a manual one."""
    date, only_mine = window()
    events: list[Event] = []
    lose = LoseFirstAnswer("POST", "/dagRuns")
    with Client(
        str(live_server["base_url"]),
        username=str(live_server["username"]),
        password=str(live_server["password"]),
        transport=lose,
        retries=POLICY,
        timeout=TIMEOUT,
        on_event=events.append,
    ) as client:
        conf = {"probe": uuid.uuid4().hex}
        run = client.dag_runs.trigger(DAG, logical_date=date, conf=conf)
    with counting(live_server) as check:
        try:
            found = check.dag_runs.list(DAG, **only_mine)  # type: ignore[arg-type]
            assert lose.lost == 1
            assert [r.run_id for r in found] == [run.run_id]
            assert (found[0].conf, found[0].logical_date) == (conf, date)
            assert re.fullmatch(r"manual__[0-9T:.+-]+_[0-9a-f]{16}", run.run_id)
            kind = found[0].run_type
            assert getattr(kind, "value", kind) == "manual"  # the server reads it as manual
            trigger_statuses = [
                e.status for e in events if e.kind == "request" and e.operation == "trigger"
            ]
            # lost, then "exists": recognised as ours (a slow server may add a timeout between)
            assert trigger_statuses[0] is None and trigger_statuses[-1] == 409, events
        finally:
            for leftover in check.dag_runs.list(DAG, **only_mine):  # type: ignore[arg-type]
                check.dag_runs.delete(DAG, leftover.run_id)


def test_an_async_trigger_whose_answer_is_lost_creates_exactly_one_run(
    live_server: dict[str, Any],
) -> None:
    """The same with AsyncClient, with a run id given by the caller."""
    date, only_mine = window()
    run_id = f"retries-real-{uuid.uuid4().hex[:12]}"
    lose = AsyncLoseFirstAnswer("POST", "/dagRuns")

    async def trigger() -> str:
        async with AsyncClient(
            str(live_server["base_url"]),
            username=str(live_server["username"]),
            password=str(live_server["password"]),
            transport=lose,
            retries=POLICY,
            timeout=TIMEOUT,
        ) as client:
            return (await client.dag_runs.trigger(DAG, run_id=run_id, logical_date=date)).run_id

    assert anyio.run(trigger) == run_id
    with counting(live_server) as check:
        try:
            found = check.dag_runs.list(DAG, **only_mine)  # type: ignore[arg-type]
            assert (lose.lost, [r.run_id for r in found]) == (1, [run_id])
        finally:
            for leftover in check.dag_runs.list(DAG, **only_mine):  # type: ignore[arg-type]
                check.dag_runs.delete(DAG, leftover.run_id)


def test_a_resent_trigger_meeting_a_different_run_is_a_conflict(
    live_server: dict[str, Any],
) -> None:
    """A run with our run id but another conf exists: the resend's 409 is not ours."""
    date, only_mine = window()
    run_id = f"retries-real-{uuid.uuid4().hex[:12]}"
    with counting(live_server) as check:
        check.dag_runs.trigger(DAG, run_id=run_id, logical_date=date, conf={"who": "other"})
        try:
            with (
                Client(
                    str(live_server["base_url"]),
                    username=str(live_server["username"]),
                    password=str(live_server["password"]),
                    transport=LoseFirstAnswer("POST", "/dagRuns"),
                    retries=POLICY,
                    timeout=TIMEOUT,
                ) as client,
                pytest.raises(Conflict),
            ):
                client.dag_runs.trigger(DAG, run_id=run_id, logical_date=date, conf={"who": "me"})
            found = check.dag_runs.list(DAG, **only_mine)  # type: ignore[arg-type]
            assert [(r.run_id, r.conf) for r in found] == [(run_id, {"who": "other"})]
        finally:
            for leftover in check.dag_runs.list(DAG, **only_mine):  # type: ignore[arg-type]
                check.dag_runs.delete(DAG, leftover.run_id)


def test_a_delete_whose_answer_is_lost_succeeds(live_server: dict[str, Any]) -> None:
    """The first DELETE deletes and its answer is lost; the resend's 404 is success."""
    date, only_mine = window()
    run_id = f"retries-real-{uuid.uuid4().hex[:12]}"
    with counting(live_server) as check:
        check.dag_runs.trigger(DAG, run_id=run_id, logical_date=date)
        lose = LoseFirstAnswer("DELETE", f"/dagRuns/{run_id}")
        with Client(
            str(live_server["base_url"]),
            username=str(live_server["username"]),
            password=str(live_server["password"]),
            transport=lose,
            retries=POLICY,
            timeout=TIMEOUT,
        ) as client:
            assert client.dag_runs.delete(DAG, run_id) is None
        assert lose.lost == 1
        assert check.dag_runs.list(DAG, **only_mine) == []  # type: ignore[arg-type]
        with pytest.raises(NotFound):
            check.dag_runs.get(DAG, run_id)
