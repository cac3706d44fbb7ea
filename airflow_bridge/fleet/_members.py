"""One fleet member: a named client driven from the fleet's event loop.

A member wraps an `AsyncClient` (native) or a sync `Client` (its calls run in worker threads,
so a fleet built from plain `Client`s still fans out; a thread past its server's deadline is
abandoned, not waited for, and ends at its client's own HTTP timeout).

Each fleet operation is a `Call`: the same request written once for `AsyncDagRuns` and once
for `DagRuns`, which keeps both kinds of member fully typed without a second copy of the
facade's signatures.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from itertools import islice
from typing import Any, Generic, TypeVar

import anyio
import anyio.to_thread
import attrs
import httpx

from airflow_bridge import AsyncClient, AsyncDagRuns, Client, DagRun, DagRuns, ServerInfo
from airflow_bridge.errors import AuthenticationError, PermissionDenied

T = TypeVar("T")

#: Unauthenticated health endpoints, by API generation.
HEALTH_PATHS = {"v1": "/api/v1/health", "v2": "/api/v2/monitor/health"}


@attrs.frozen
class Call(Generic[T]):
    """One operation, for either kind of client."""

    on_async: Callable[[AsyncDagRuns], Awaitable[T]]
    on_sync: Callable[[DagRuns], T]


@attrs.frozen(kw_only=True)
class ServerStatus:
    """What `probe()` learned about one server.

    `health` maps each component the server reports (metadatabase, scheduler, ...) to its
    status; None when the fleet cannot ask (a member given as a ready-made client).
    `auth_ok` is False when the server refused the credentials. `latency` is one round trip
    in seconds.
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


@attrs.define(kw_only=True)
class Member:
    """A named client plus what the fleet needs to drive it: tags, deadline, its own
    concurrency bound, and the httpx client the fleet created for it (if any)."""

    name: str
    client: AsyncClient | Client
    tags: tuple[str, ...]
    timeout: float | None
    slots: anyio.Semaphore
    http: httpx.AsyncClient | None = None

    @property
    def url(self) -> str:
        return self.client.base_url

    async def run(self, call: Call[T], threads: anyio.CapacityLimiter) -> T:
        if isinstance(self.client, AsyncClient):
            return await call.on_async(self.client.dag_runs)
        return await anyio.to_thread.run_sync(
            call.on_sync, self.client.dag_runs, limiter=threads, abandon_on_cancel=True
        )

    async def info(self, threads: anyio.CapacityLimiter) -> ServerInfo:
        """The server's version and API generation (detected on first use, then cached)."""
        if isinstance(self.client, AsyncClient):
            return await self.client.server_info()
        return await anyio.to_thread.run_sync(
            self.client.server_info, limiter=threads, abandon_on_cancel=True
        )

    def pages(
        self,
        dag_id: str,
        limit: int | None,
        page_size: int,
        filters: dict[str, Any],
        threads: anyio.CapacityLimiter,
    ) -> Callable[[], Awaitable[list[DagRun]]]:
        """A function returning the next `page_size` runs of a listing (empty at the end):
        one page request per call, so a fleet can walk every server's pages side by side."""
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
                lambda: list(islice(it, page_size)), limiter=threads, abandon_on_cancel=True
            )

        return next_sync

    async def probe(self, threads: anyio.CapacityLimiter) -> ServerStatus:
        """Version, health and whether the credentials work, with one round trip's latency."""
        info = await self.info(threads)
        health, latency = await self._health(info.api)
        started = time.perf_counter()
        try:
            await self.run(Call(lambda r: r.count(), lambda r: r.count()), threads)
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
            response = await self.http.get(self.url + HEALTH_PATHS[api])
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
