"""`Fleet`: the synchronous face of `AsyncFleet`, for plain (non-async) code.

Why a private event loop in a daemon thread rather than `asyncio.run()` per call: the
members' connection pools, token logins and detected versions belong to the loop they were
first used on, so a fresh loop per call would throw them away (and break pooled
connections); and `asyncio.run()` refuses to run inside an already running loop (Jupyter,
or sync code called from async code), while handing work to our own thread works from
anywhere. The thread is a daemon, so a fleet that is never closed cannot keep the
interpreter from exiting, and the loop is stopped when the last fleet using it is closed
or garbage-collected. Progress callbacks run on that thread.
"""

from __future__ import annotations

import asyncio
import builtins
import os
import threading
import weakref
from collections.abc import AsyncIterator, Coroutine, Iterable, Iterator, Mapping
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from airflow_bridge import (
    AssetEvent,
    AsyncClient,
    ClearResult,
    Client,
    DagRun,
    DagRunState,
    ServerInfo,
)
from airflow_bridge.errors import AirflowBridgeError

from ._async import (
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_PER_SERVER,
    DEFAULT_TIMEOUT,
    AsyncFleet,
    AsyncRunStream,
)
from ._config import Server
from ._fanout import Progress
from ._members import ServerStatus
from ._result import FleetResult, ServerOutcome

if TYPE_CHECKING:
    from typing_extensions import Self

T = TypeVar("T")


class _LoopThread:
    """An asyncio loop running forever in a daemon thread; `run()` blocks on a coroutine."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="airflow-bridge-fleet", daemon=True
        )
        self._thread.start()
        self.stop = weakref.finalize(self, _stop, self._loop, self._thread)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("a sync Fleet cannot be called from its own progress callback")
        if not self.stop.alive:
            coro.close()
            raise RuntimeError("this fleet is closed")
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()  # e.g. Ctrl-C: do not leave the work running in the background
            raise


def _stop(loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
    loop.call_soon_threadsafe(loop.stop)
    thread.join()
    loop.close()


class Fleet:
    """A named set of Airflow servers queried concurrently, from synchronous code.

    >>> with Fleet({"legacy": Client(url2, ...), "prod": Client(url3, ...)}) as fleet:
    ...     failed = fleet.dag_runs.list(states="failed", order_by="-start_date", limit=20)
    >>> with Fleet.from_file("fleet.toml") as fleet:
    ...     fleet.select("tag:eu").dag_runs.trigger("backfill", conf={"day": "2024-01-01"})

    The same API as `AsyncFleet`, without `await`. Members given as `Server` specs or
    `AsyncClient`s run natively on the fleet's loop; `Client`s run in worker threads.
    """

    def __init__(
        self,
        members: Mapping[str, Server | AsyncClient | Client],
        *,
        tags: Mapping[str, Iterable[str]] | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        per_server_concurrency: int = DEFAULT_PER_SERVER,
    ) -> None:
        self._async = AsyncFleet(
            members,
            tags=tags,
            timeout=timeout,
            max_concurrency=max_concurrency,
            per_server_concurrency=per_server_concurrency,
        )
        self._loop = _LoopThread()
        self._owner = True
        self.dag_runs = FleetDagRuns(self)

    @classmethod
    def from_file(
        cls,
        path: str | os.PathLike[str],
        *,
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Self:
        """A fleet from a TOML file (the format is in `load_fleet_file`)."""
        fleet = AsyncFleet.from_file(path, env=env, timeout=timeout)
        return cls._wrap(fleet, _LoopThread(), owner=True)

    @classmethod
    def _wrap(cls, fleet: AsyncFleet, loop: _LoopThread, *, owner: bool) -> Self:
        wrapped = object.__new__(cls)
        wrapped._async = fleet
        wrapped._loop = loop
        wrapped._owner = owner
        wrapped.dag_runs = FleetDagRuns(wrapped)
        return wrapped

    def __repr__(self) -> str:
        return f"Fleet({', '.join(self.names)})"

    def __len__(self) -> int:
        return len(self._async)

    @property
    def names(self) -> tuple[str, ...]:
        return self._async.names

    @property
    def urls(self) -> dict[str, str]:
        return self._async.urls

    @property
    def tags(self) -> dict[str, tuple[str, ...]]:
        return self._async.tags

    def select(self, *selectors: str) -> Self:
        """Members by name or `"tag:TAG"`; shares this fleet's connections and thread."""
        return self._wrap(self._async.select(*selectors), self._loop, owner=False)

    def with_progress(self, callback: Progress | None) -> Self:
        """Calls `callback(outcome)` (on the fleet's thread) as each server finishes."""
        return self._wrap(self._async.with_progress(callback), self._loop, owner=False)

    def probe(self) -> FleetResult[ServerStatus]:
        return self._loop.run(self._async.probe())

    def server_info(self) -> FleetResult[ServerInfo]:
        return self._loop.run(self._async.server_info())

    def close(self) -> None:
        """Close every member's connections and stop the fleet's thread; on a selection,
        nothing (close the fleet it came from, which ends its selections too)."""
        if self._owner and self._loop.stop.alive:
            self._loop.run(self._async.aclose())
            self._loop.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class FleetDagRuns:
    """`fleet.dag_runs`: `AsyncFleetDagRuns` without `await` (see there for each method)."""

    def __init__(self, fleet: Fleet) -> None:
        self._runs = fleet._async.dag_runs
        self._loop = fleet._loop

    def trigger(
        self,
        dag_id: str,
        *,
        run_id: str | None = None,
        logical_date: datetime | None = None,
        conf: Mapping[str, Any] | None = None,
        note: str | None = None,
        data_interval: tuple[datetime, datetime] | None = None,
    ) -> FleetResult[DagRun]:
        return self._loop.run(
            self._runs.trigger(
                dag_id,
                run_id=run_id,
                logical_date=logical_date,
                conf=conf,
                note=note,
                data_interval=data_interval,
            )
        )

    def get(self, dag_id: str, run_id: str) -> FleetResult[DagRun]:
        return self._loop.run(self._runs.get(dag_id, run_id))

    def list(
        self, dag_id: str = "~", *, limit: int | None = None, page_size: int = 100, **filters: Any
    ) -> FleetResult[DagRun]:
        return self._loop.run(self._runs.list(dag_id, limit=limit, page_size=page_size, **filters))

    def iter(
        self, dag_id: str = "~", *, limit: int | None = None, page_size: int = 100, **filters: Any
    ) -> RunStream:
        stream = self._runs.iter(dag_id, limit=limit, page_size=page_size, **filters)
        return RunStream(stream, self._loop)

    def count(self, dag_id: str = "~", **filters: Any) -> FleetResult[int]:
        return self._loop.run(self._runs.count(dag_id, **filters))

    def set_state(self, dag_id: str, run_id: str, state: DagRunState | str) -> FleetResult[DagRun]:
        return self._loop.run(self._runs.set_state(dag_id, run_id, state))

    def set_note(self, dag_id: str, run_id: str, note: str) -> FleetResult[DagRun]:
        return self._loop.run(self._runs.set_note(dag_id, run_id, note))

    def update(
        self,
        dag_id: str,
        run_id: str,
        *,
        state: DagRunState | str | None = None,
        note: str | None = None,
    ) -> FleetResult[DagRun]:
        return self._loop.run(self._runs.update(dag_id, run_id, state=state, note=note))

    def clear(
        self, dag_id: str, run_id: str, *, dry_run: bool = True, only_failed: bool = False
    ) -> FleetResult[ClearResult]:
        return self._loop.run(
            self._runs.clear(dag_id, run_id, dry_run=dry_run, only_failed=only_failed)
        )

    def delete(self, dag_id: str, run_id: str) -> FleetResult[None]:
        return self._loop.run(self._runs.delete(dag_id, run_id))

    def upstream_events(self, dag_id: str, run_id: str) -> FleetResult[AssetEvent]:
        return self._loop.run(self._runs.upstream_events(dag_id, run_id))

    def wait(
        self, dag_id: str, run_id: str, *, timeout: float = 600, interval: float = 5
    ) -> FleetResult[DagRun]:
        return self._loop.run(self._runs.wait(dag_id, run_id, timeout=timeout, interval=interval))


class RunStream:
    """`for run in fleet.dag_runs.iter(...)`: `AsyncRunStream`, one page round at a time."""

    def __init__(self, stream: AsyncRunStream, loop: _LoopThread) -> None:
        self._stream = stream
        self._runs = aiter(stream)
        self._loop = loop

    @property
    def outcomes(self) -> dict[str, ServerOutcome]:
        return self._stream.outcomes

    @property
    def errors(self) -> builtins.dict[str, AirflowBridgeError]:
        return self._stream.errors

    def __iter__(self) -> Iterator[DagRun]:
        return self

    def __next__(self) -> DagRun:
        run = self._loop.run(_next_or_none(self._runs))
        if run is None:
            raise StopIteration
        return run


async def _next_or_none(runs: AsyncIterator[DagRun]) -> DagRun | None:
    try:
        run: DagRun = await anext(runs)
    except StopAsyncIteration:
        return None
    return run
