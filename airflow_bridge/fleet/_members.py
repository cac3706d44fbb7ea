"""One fleet member: a named client driven from the fleet's event loop.

A member wraps an `AsyncClient` (native) or a sync `Client` (its calls run in worker threads,
so a fleet built from plain `Client`s still fans out; a thread past its server's deadline is
abandoned, not waited for, and ends at its client's own HTTP timeout).

The fleet reaches every member through one interface, `Member.runs` (and `Member.dags`,
`Member.task_instances`), typed as the async facade: a fleet operation is written once, as a
function of it. For a sync client it is the sync facade with each call moved to a worker
thread; that is sound because the sync facades are generated from the async ones
(scripts/unasync.py), so the two have the same methods and parameters.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from itertools import islice
from typing import TYPE_CHECKING, Any, cast

import anyio
import anyio.to_thread
import attrs
import httpx

from airflow_bridge import (
    AsyncClient,
    AsyncDagRuns,
    AsyncDags,
    AsyncTaskInstances,
    Client,
    DagRun,
    DagRuns,
    Dags,
    ServerInfo,
    TaskInstances,
)
from airflow_bridge.adapters import BY_API
from airflow_bridge.errors import AuthenticationError, PermissionDenied

if TYPE_CHECKING:
    from airflow_bridge import RunFilters


@attrs.frozen(kw_only=True)
class ServerStatus:
    """What `probe()` learned about one server.

    Attributes:
        server: The member's name in the fleet.
        url: Its base URL (never with credentials).
        version: The Airflow version it reports; None when the API generation was given
            (`api="v1"`/`"v2"`) and no version probe ran.
        api: `"v1"` (Airflow 2) or `"v2"` (Airflow 3).
        auth_ok: False when the server refused the credentials (401); True when it knows
            the user, even if that user may not read runs (403).
        health: Each component the server reports (metadatabase, scheduler, ...) -> its
            status; None when the fleet cannot ask (a member given as a ready-made client).
        latency: One round trip in seconds (the health request, else the credentials check).
    """

    server: str
    url: str
    version: str | None
    api: str
    auth_ok: bool
    health: dict[str, str | None] | None
    latency: float

    @property
    def healthy(self) -> bool | None:
        """Whether every component that reports a status says healthy (None: unknown)."""
        if self.health is None:
            return None
        return all(status in (None, "healthy") for status in self.health.values())


class _InThreads:
    """A sync facade (`DagRuns`, `Dags`, `TaskInstances`) with its async twin's interface:
    each call runs in a worker thread."""

    def __init__(
        self, runs: DagRuns | Dags | TaskInstances, threads: anyio.CapacityLimiter
    ) -> None:
        self._runs = runs
        self._threads = threads

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        if name == "iter":  # a generator, not a call: see `Member.pages`
            raise AttributeError("iter() of a sync client is paged by Member.pages")
        method = getattr(self._runs, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await anyio.to_thread.run_sync(
                functools.partial(method, *args, **kwargs),
                limiter=self._threads,
                abandon_on_cancel=True,
            )

        return call


@attrs.define(kw_only=True)
class Member:
    """A named client plus what the fleet needs to drive it: tags, deadline, its own
    concurrency bound, the fleet's worker threads, and the httpx client the fleet created
    for it (if any)."""

    name: str
    client: AsyncClient | Client
    tags: tuple[str, ...]
    timeout: float | None
    slots: anyio.Semaphore
    threads: anyio.CapacityLimiter
    http: httpx.AsyncClient | None = None

    @property
    def url(self) -> str:
        return self.client.base_url

    @property
    def runs(self) -> AsyncDagRuns:
        """The member's DagRun operations, awaitable whatever the kind of client."""
        if isinstance(self.client, AsyncClient):
            return self.client.dag_runs
        return cast(AsyncDagRuns, _InThreads(self.client.dag_runs, self.threads))

    @property
    def dags(self) -> AsyncDags:
        """The member's DAG operations, awaitable whatever the kind of client."""
        if isinstance(self.client, AsyncClient):
            return self.client.dags
        return cast(AsyncDags, _InThreads(self.client.dags, self.threads))

    @property
    def task_instances(self) -> AsyncTaskInstances:
        """The member's task-instance operations, awaitable whatever the kind of client."""
        if isinstance(self.client, AsyncClient):
            return self.client.task_instances
        return cast(AsyncTaskInstances, _InThreads(self.client.task_instances, self.threads))

    async def info(self) -> ServerInfo:
        """The server's version and API generation (detected on first use, then cached)."""
        if isinstance(self.client, AsyncClient):
            return await self.client.server_info()
        return await anyio.to_thread.run_sync(
            self.client.server_info, limiter=self.threads, abandon_on_cancel=True
        )

    def pages(
        self, dag_id: str, limit: int | None, page_size: int, filters: RunFilters
    ) -> Callable[[], Awaitable[list[DagRun]]]:
        """A function returning the next `page_size` runs of a listing (empty at the end):
        one page request per call, so a fleet can walk every server's pages side by side.
        The listing's arguments are checked now, as the facade's `iter()` checks them."""
        if isinstance(self.client, AsyncClient):
            runs = self.client.dag_runs.iter(dag_id, limit=limit, page_size=page_size, **filters)

            async def next_async() -> list[DagRun]:
                chunk: list[DagRun] = []
                async for run in runs:
                    chunk.append(run)
                    if len(chunk) == page_size:
                        break
                return chunk

            return next_async
        it = self.client.dag_runs.iter(dag_id, limit=limit, page_size=page_size, **filters)

        async def next_sync() -> list[DagRun]:
            return await anyio.to_thread.run_sync(
                lambda: list(islice(it, page_size)), limiter=self.threads, abandon_on_cancel=True
            )

        return next_sync

    async def probe(self) -> ServerStatus:
        """Version, health and whether the credentials work, with one round trip's latency."""
        info = await self.info()
        health, latency = await self._health(info.api)
        started = time.perf_counter()
        try:
            await self.runs.count()
            auth_ok = True
        except AuthenticationError:
            auth_ok = False
        except PermissionDenied:
            auth_ok = True  # the server knows the user; it only may not read runs
        if latency is None:
            latency = time.perf_counter() - started
        return ServerStatus(
            server=self.name,
            url=self.url,
            version=info.version,
            api=info.api,
            auth_ok=auth_ok,
            health=health,
            latency=latency,
        )

    async def _health(self, api: str) -> tuple[dict[str, str | None] | None, float | None]:
        if self.http is None:
            return None, None
        started = time.perf_counter()
        try:
            response = await self.http.get(self.url + BY_API[api].health_path)
            body = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            body = None
        latency = time.perf_counter() - started
        if not isinstance(body, dict):
            return {"health endpoint": "no answer"}, latency
        return {
            component: part.get("status") if isinstance(part, dict) else None
            for component, part in body.items()
        }, latency

    async def aclose(self) -> None:
        if isinstance(self.client, AsyncClient):
            await self.client.aclose()
        else:
            self.client.close()
        if self.http is not None:
            await self.http.aclose()
