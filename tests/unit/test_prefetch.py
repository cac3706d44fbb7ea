"""Offset pages fetched ahead (`_prefetch`, issue 13 target 3): after the first page gives the
total, the next pages are asked for together, within the client's `max_concurrency`, and the
walk yields exactly what the sequential walk yields: same runs, same order, each once, the
limit, repeats dropped, a failed batch asked for again. Keyset pages are never fetched ahead.

The servers here sleep a little per request so requests overlap; the assertions are on what
was sent and how many were in flight at once, never on how long anything took."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from mockserver import v1_run, v2_run

from airflow_bridge import AsyncClient, Client
from airflow_bridge.errors import ServerError

RUNS = "/api/v1/dags/etl/dagRuns"


class PagedServer:
    """An Airflow 2 (or keyset Airflow 3) list of `total` runs r0..r{total-1}, answering after
    `delay` s, recording every request and the most requests in flight at once. `cap` is the
    server's maximum_page_limit; `answer` may replace a page's run ids (by offset)."""

    def __init__(
        self,
        total: int,
        *,
        cap: int = 100,
        delay: float = 0.005,
        keyset: bool = False,
        answer: Callable[[int, list[str]], list[str] | int] | None = None,
    ) -> None:
        self.total, self.cap, self.delay, self.keyset = total, cap, delay, keyset
        self.answer = answer
        self.sent: list[dict[str, str]] = []
        self.in_flight = self.most_in_flight = 0
        self._lock = threading.Lock()

    def _enter(self, request: httpx.Request) -> None:
        with self._lock:
            self.sent.append(dict(request.url.params))
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)

    def _page(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.in_flight -= 1
        params = request.url.params
        limit = min(int(params["limit"]), self.cap)
        cursor = params.get("cursor") if self.keyset else None
        start = int(cursor or 0) if cursor is not None else int(params.get("offset", 0))
        ids = [f"r{i}" for i in range(start, min(start + limit, self.total))]
        if self.answer is not None:
            changed = self.answer(start, ids)
            if isinstance(changed, int):
                return httpx.Response(changed, json={"detail": "boom", "status": changed})
            ids = changed
        body: dict[str, Any]
        if self.keyset:
            more = start + limit < self.total
            body = {"dag_runs": [v2_run(i) for i in ids], "total_entries": None,
                    "next_cursor": str(start + limit) if more else None}  # fmt: skip
        else:
            body = {"dag_runs": [v1_run(i) for i in ids], "total_entries": self.total}
        return httpx.Response(200, json=body)

    def transport(self) -> httpx.BaseTransport:
        server = self

        class Sync(httpx.BaseTransport):
            def handle_request(self, request: httpx.Request) -> httpx.Response:
                server._enter(request)
                time.sleep(server.delay)
                return server._page(request)

        return Sync()

    def async_transport(self) -> httpx.AsyncBaseTransport:
        server = self

        class Async(httpx.AsyncBaseTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                server._enter(request)
                await asyncio.sleep(server.delay)
                return server._page(request)

        return Async()

    def offsets(self) -> list[int]:
        return [int(params["offset"]) for params in self.sent]


def client(server: PagedServer, **options: Any) -> Client:
    api = "v2" if server.keyset else "v1"
    return Client("http://127.0.0.1:8080", api=api, token="t", transport=server.transport(),
                  **options)  # fmt: skip


def ids(runs: Any) -> list[str]:
    return [run.run_id for run in runs]


def test_an_offset_walk_yields_every_run_once_in_order_with_pages_in_flight_together() -> None:
    server = PagedServer(1000)
    listed = client(server).dag_runs.list("etl", page_size=10)
    assert ids(listed) == [f"r{i}" for i in range(1000)]
    assert sorted(server.offsets()) == list(range(0, 1000, 10))  # each page asked for once
    assert 1 < server.most_in_flight <= 10  # together, within the default max_concurrency


def test_the_clients_max_concurrency_bounds_the_pages_in_flight() -> None:
    server = PagedServer(400)
    assert len(client(server, max_concurrency=3).dag_runs.list("etl", page_size=10)) == 400
    assert server.most_in_flight == 3


def test_the_async_client_fetches_ahead_the_same_way() -> None:
    server = PagedServer(1000)

    async def walk() -> list[str]:
        transport = server.async_transport()
        async with AsyncClient("http://127.0.0.1:8080", api="v1", token="t",
                               transport=transport) as aclient:  # fmt: skip
            return ids(await aclient.dag_runs.list("etl", page_size=10))

    assert asyncio.run(walk()) == [f"r{i}" for i in range(1000)]
    assert sorted(server.offsets()) == list(range(0, 1000, 10))
    assert 1 < server.most_in_flight <= 10


def test_pages_go_by_what_a_capping_server_served() -> None:
    server = PagedServer(95, cap=4)  # maximum_page_limit 4: a page of 10 comes back with 4
    assert ids(client(server).dag_runs.list("etl", page_size=10)) == [f"r{i}" for i in range(95)]
    assert sorted(server.offsets()) == list(range(0, 95, 4))
    assert {params["limit"] for params in server.sent[1:]} == {"4"}


def test_a_limit_asks_for_no_page_it_does_not_need() -> None:
    server = PagedServer(1000)
    assert ids(client(server).dag_runs.list("etl", limit=35, page_size=10)) == [
        f"r{i}" for i in range(35)
    ]
    assert sorted((int(p["offset"]), p["limit"]) for p in server.sent) == [
        (0, "10"), (10, "10"), (20, "10"), (30, "5")
    ]  # fmt: skip


def test_a_short_page_in_a_batch_ends_the_batch_and_the_walk_goes_on_from_there() -> None:
    # Two runs deleted while a batch was in flight: the page at 30 comes back short; the
    # pages after it in that batch are not used, and the walk goes on at the next offset.
    deleted = {"r31", "r32"}

    def answer(start: int, page: list[str]) -> list[str]:
        return [i for i in page if i not in deleted] if start == 30 else page

    server = PagedServer(100, answer=answer)
    listed = ids(client(server).dag_runs.list("etl", page_size=10))
    assert len(listed) == len(set(listed))
    assert listed[:38] == [f"r{i}" for i in range(40) if f"r{i}" not in deleted]
    assert set(listed) == {f"r{i}" for i in range(100)} - deleted
    batch_after_short = [o for o in server.offsets() if o == 38]
    assert batch_after_short  # asked again from where the short page ended


def test_a_repeat_across_pages_of_a_batch_is_dropped() -> None:
    # A run committed out of id order pushes r19 onto the page at 20 (default order).
    def answer(start: int, page: list[str]) -> list[str]:
        return ["r19", *page[:-1]] if start == 20 else page

    listed = ids(client(PagedServer(60, answer=answer)).dag_runs.list("etl", page_size=10))
    assert listed.count("r19") == 1 and len(listed) == len(set(listed))


def test_a_failed_page_fails_the_batch_and_iterating_again_resumes_without_repeats() -> None:
    failing = {"count": 1}

    def answer(start: int, page: list[str]) -> list[str] | int:
        if start == 50 and failing["count"]:
            failing["count"] -= 1
            return 500
        return page

    server = PagedServer(100, answer=answer)
    runs = client(server, retries=0).dag_runs.iter("etl", page_size=10)
    got = []
    with pytest.raises(ServerError):
        for run in runs:
            got.append(run.run_id)
    got += ids(runs)
    assert got == [f"r{i}" for i in range(100)]


def test_keyset_pages_are_never_fetched_ahead() -> None:
    server = PagedServer(200, keyset=True)
    assert ids(client(server).dag_runs.list("etl", page_size=10)) == [f"r{i}" for i in range(200)]
    assert server.most_in_flight == 1
    assert all("offset" not in params for params in server.sent)


def test_a_list_failing_in_a_batch_keeps_the_batches_before_it_and_rest_finishes() -> None:
    # The page at 50 fails in the batch 30..60: the runs of earlier batches are the partial
    # result, and `.rest` asks for that batch again: nothing lost, nothing twice.
    failing = {"count": 1}

    def answer(start: int, page: list[str]) -> list[str] | int:
        if start == 50 and failing["count"]:
            failing["count"] -= 1
            return 500
        return page

    server = PagedServer(100, answer=answer)
    with pytest.raises(ServerError) as raised:
        client(server, retries=0).dag_runs.list("etl", page_size=10)
    partial = raised.value.partial  # type: ignore[attr-defined]
    assert ids(partial) == [f"r{i}" for i in range(30)]  # the first page and the batch 10..30
    assert ids(partial) + ids(partial.rest) == [f"r{i}" for i in range(100)]
