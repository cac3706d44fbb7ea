"""The fleet pauses the cyclic garbage collector during a fan-out, and always resumes it."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import anyio
import httpx
import pytest
from fleet_fakes import CREDS, fake

from airflow_bridge.fleet import AsyncFleet, Fleet, Server
from airflow_bridge.fleet import _fanout as fanout


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    """Every test starts with the collector on and leaves it on, whatever it asserts."""
    gc.enable()
    yield
    gc.enable()


class Recording(httpx.AsyncBaseTransport):
    """A fake server's transport that notes whether the collector was on at each request."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.collector_on: list[bool] = []
        self.pages: list[bool] = []  # at each request for a page of runs

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.collector_on.append(gc.isenabled())
        if request.url.path.endswith("/dagRuns"):
            self.pages.append(gc.isenabled())
        return await self.inner.handle_async_request(request)


def members(count: int, runs: int = 2) -> tuple[dict[str, Server], list[Recording]]:
    seeds = [(f"r{i}", "success", 1 + i % 28) for i in range(runs)]
    recordings = [Recording(fake("3.3.2", seeds).async_transport()) for _ in range(count)]
    servers = {
        f"s{i}": Server(f"http://s{i}:8080", api="v2", **CREDS, transport=recording)
        for i, recording in enumerate(recordings)
    }
    return servers, recordings


def seen(recordings: list[Recording]) -> list[bool]:
    return [on for recording in recordings for on in recording.collector_on]


@pytest.mark.anyio
async def test_a_listing_runs_with_the_collector_paused_and_resumes_it() -> None:
    servers, recordings = members(3)
    async with AsyncFleet(servers) as fleet:
        result = await fleet.dag_runs.list()
        assert result.ok and len(result) == 6
        assert gc.isenabled()
        await fleet.dag_runs.count()  # the other operations too
        assert gc.isenabled()
    assert seen(recordings) and not any(seen(recordings))


def test_the_sync_fleet_pauses_on_its_thread_and_resumes_too() -> None:
    servers, recordings = members(2)
    with Fleet(servers) as fleet:
        assert fleet.dag_runs.list().ok
    assert seen(recordings) and not any(seen(recordings))
    assert gc.isenabled()


@pytest.mark.anyio
async def test_a_collector_the_application_disabled_stays_disabled() -> None:
    servers, _ = members(2)
    async with AsyncFleet(servers) as fleet:
        gc.disable()
        assert (await fleet.dag_runs.list()).ok
        assert not gc.isenabled()


@pytest.mark.anyio
async def test_a_long_listing_resumes_the_collector_once_past_its_allowance(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fanout, "GC_ALLOWANCE", 10)  # a page of runs allocates more
    servers, recordings = members(1, runs=20)
    async with AsyncFleet(servers) as fleet:
        result = await fleet.dag_runs.list(page_size=5)
    assert result.ok and len(result) == 20
    (recording,) = recordings
    assert len(recording.pages) >= 4  # the first page paused, every later one not
    assert recording.pages[0] is False and all(recording.pages[1:])


@pytest.mark.anyio
async def test_wait_leaves_the_collector_on() -> None:
    servers, recordings = members(1)
    async with AsyncFleet(servers) as fleet:
        result = await fleet.dag_runs.wait("etl", "r0", timeout=5, interval=0.1)
    assert result.ok
    assert seen(recordings) and all(seen(recordings))


@pytest.mark.anyio
async def test_a_cancelled_or_failed_call_resumes_the_collector() -> None:
    servers, _ = members(2)
    hanging = fake("3.3.2")
    hanging.inject("*", delay=30, times=None)
    servers["hanging"] = Server(
        "http://h:1", api="v2", **CREDS, transport=hanging.async_transport()
    )
    async with AsyncFleet(servers) as fleet:
        with anyio.move_on_after(0.3) as scope:
            await fleet.dag_runs.list()
        assert scope.cancelled_caught and gc.isenabled()

        def broken_callback(_outcome: object) -> None:
            raise KeyError("a bug in the caller's callback")

        with pytest.raises(KeyError):
            await fleet.select("s0").with_progress(broken_callback).dag_runs.list()
        assert gc.isenabled()


def test_pauses_nest_and_restore_what_they_found() -> None:
    outer, inner = fanout.GcPause(1), fanout.GcPause(1)
    assert not gc.isenabled()
    inner.end()
    assert not gc.isenabled(), "an inner pause ended the outer one"
    outer.end()
    outer.end()  # ending twice resumes once
    assert gc.isenabled()
    gc.disable()
    fanout.GcPause(1).end()
    assert not gc.isenabled(), "a collector the application disabled was turned on"


def test_pauses_from_many_threads_end_with_the_collector_on() -> None:
    start = threading.Barrier(8)

    def pause_and_resume() -> None:
        start.wait()
        for _ in range(200):
            fanout.GcPause(1).end()

    threads = [threading.Thread(target=pause_and_resume) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert gc.isenabled()
