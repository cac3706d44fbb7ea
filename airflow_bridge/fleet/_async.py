"""`AsyncFleet`: many Airflow servers, of either generation, queried as one.

Every call fans out to the selected servers at once (see `_fanout`); each server's own
version detection happens inside its task, so a new fleet detects all its servers
concurrently on first use. Results come back as a `FleetResult` whose runs carry the fleet
member's name in `DagRun.server`.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import attrs

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

from ._config import FleetConfigError, Server, load_fleet_file
from ._fanout import Progress, fan_out
from ._members import Call, Member, ServerStatus
from ._order import merge, order_keys
from ._result import FleetResult, ServerOutcome

if TYPE_CHECKING:
    from typing_extensions import Self

T = TypeVar("T")
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_CONCURRENCY = 256
DEFAULT_PER_SERVER = 4


def stamp(name: str, run: DagRun) -> DagRun:
    """The run labelled with the fleet member's name instead of its base URL."""
    return attrs.evolve(run, server=name)


class AsyncFleet:
    """A named set of Airflow servers queried concurrently.

    >>> fleet = AsyncFleet.from_file("fleet.toml")
    >>> failed = await fleet.select("tag:eu").dag_runs.list(states="failed", order_by="-start_date")
    >>> for run in failed: print(run.server, run.dag_id, run.run_id)
    >>> failed.errors   # {name: typed error} of the servers that did not answer

    Members are `Server` specs, `AsyncClient`s or `Client`s (run in worker threads). `timeout`
    is each server's deadline per call (a `Server`'s own timeout wins); `max_concurrency`
    bounds the servers worked on at once, `per_server_concurrency` the calls in flight to
    one server. The fleet closes its members when closed.
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
        if not members:
            raise ValueError("a fleet needs at least one server")
        if max_concurrency < 1 or per_server_concurrency < 1:
            raise ValueError("max_concurrency and per_server_concurrency must be at least 1")
        tags = tags or {}
        unknown = set(tags) - set(members)
        if unknown:
            raise ValueError(f"tags given for unknown server(s): {', '.join(sorted(unknown))}")
        built = []
        for name, member in members.items():
            if not name or name.startswith("tag:") or "," in name:
                raise ValueError(f"invalid server name {name!r} (no commas, no 'tag:' prefix)")
            built.append(
                _member(name, member, tuple(tags.get(name, ())), timeout, per_server_concurrency)
            )
        self._members = tuple(built)
        self._slots = anyio.Semaphore(max_concurrency, fast_acquire=True)
        self._threads = anyio.CapacityLimiter(max_concurrency)
        self._progress: Progress | None = None
        self._owner = True
        self.dag_runs = AsyncFleetDagRuns(self)

    @classmethod
    def from_file(
        cls,
        path: str | os.PathLike[str],
        *,
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Self:
        """A fleet from a TOML file (see `load_fleet_file` for the format); `env` replaces
        os.environ for the `*_env` keys; `timeout` overrides the file's."""
        file = load_fleet_file(path, env)
        settings = dict(file.settings)
        if timeout is not None:
            settings["timeout"] = timeout
        return cls(file.servers, **settings)

    def _view(self, members: Sequence[Member], progress: Progress | None) -> Self:
        view = object.__new__(type(self))
        view._members = tuple(members)
        view._slots = self._slots
        view._threads = self._threads
        view._progress = progress
        view._owner = False
        view.dag_runs = AsyncFleetDagRuns(view)
        return view

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(self.names)})"

    def __len__(self) -> int:
        return len(self._members)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self._members)

    @property
    def urls(self) -> dict[str, str]:
        """Member name -> base URL (never with credentials)."""
        return {m.name: m.url for m in self._members}

    @property
    def tags(self) -> dict[str, tuple[str, ...]]:
        return {m.name: m.tags for m in self._members}

    def select(self, *selectors: str) -> Self:
        """The members named, or tagged (`"tag:eu"`); no selector keeps them all. The
        selection shares this fleet's connections and bounds; close the original."""
        if not selectors:
            return self
        chosen: set[str] = set()
        for selector in selectors:
            if selector.startswith("tag:"):
                tag = selector.removeprefix("tag:")
                hits = {m.name for m in self._members if tag in m.tags}
                if not hits:
                    known = sorted({t for m in self._members for t in m.tags})
                    raise FleetConfigError(
                        f"no server is tagged {tag!r} (tags: {', '.join(known) or 'none'})"
                    )
                chosen |= hits
            elif selector in self.names:
                chosen.add(selector)
            else:
                raise FleetConfigError(
                    f"no server named {selector!r} (servers: {', '.join(self.names)})"
                )
        return self._view([m for m in self._members if m.name in chosen], self._progress)

    def with_progress(self, callback: Progress | None) -> Self:
        """This fleet, calling `callback(outcome)` as each server finishes its part of a call
        (to drive a progress bar); shares connections like `select`."""
        return self._view(self._members, callback)

    async def probe(self) -> FleetResult[ServerStatus]:
        """Version, API generation, health, whether the credentials work, and latency."""
        return await self._gather(lambda m: _one(m.probe(self._threads)))

    async def server_info(self) -> FleetResult[ServerInfo]:
        """Every server's version and API generation, detected concurrently (then cached)."""
        return await self._gather(lambda m: _one(m.info(self._threads)))

    async def aclose(self) -> None:
        """Close every member's connections (selections share them: close the original)."""
        if self._owner:
            for member in self._members:
                await member.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _gather(
        self, work: Callable[[Member], Awaitable[Sequence[T]]], *, extra_time: float = 0.0
    ) -> FleetResult[T]:
        answers = await fan_out(
            self._members,
            work,
            slots=self._slots,
            progress=self._progress,
            extra_time=extra_time,
        )
        per_server = {name: values for name, (values, _) in answers.items() if values is not None}
        return FleetResult(
            items=tuple(item for values in per_server.values() for item in values),
            per_server=per_server,
            outcomes={name: outcome for name, (_, outcome) in answers.items()},
        )

    async def _runs(self, call: Call[DagRun], *, extra_time: float = 0.0) -> FleetResult[DagRun]:
        async def work(member: Member) -> tuple[DagRun]:
            return (stamp(member.name, await member.run(call, self._threads)),)

        return await self._gather(work, extra_time=extra_time)

    async def _each(self, call: Call[T]) -> FleetResult[T]:
        async def work(member: Member) -> tuple[T]:
            return (await member.run(call, self._threads),)

        return await self._gather(work)


async def _one(value: Awaitable[T]) -> tuple[T]:
    return (await value,)


def _member(
    name: str,
    given: Server | AsyncClient | Client,
    tags: tuple[str, ...],
    timeout: float | None,
    per_server: int,
) -> Member:
    slots = anyio.Semaphore(per_server, fast_acquire=True)
    if isinstance(given, Server):
        client, http = given.connect(timeout)
        deadline = given.timeout if given.timeout is not None else timeout
        return Member(
            name=name,
            client=client,
            tags=tags or given.tags,
            timeout=deadline,
            slots=slots,
            http=http,
        )
    if not isinstance(given, AsyncClient | Client):
        raise TypeError(f"server {name!r}: expected a Server, AsyncClient or Client")
    return Member(name=name, client=given, tags=tags, timeout=timeout, slots=slots)


class AsyncFleetDagRuns:
    """`fleet.dag_runs`: the facade's DagRun operations on every server at once.

    Each returns a `FleetResult`: what the servers that succeeded returned, and one outcome
    per server. A run id is the same on every server only if you chose it (`trigger(run_id=)`).
    """

    def __init__(self, fleet: AsyncFleet) -> None:
        self._fleet = fleet

    async def trigger(
        self,
        dag_id: str,
        *,
        run_id: str | None = None,
        logical_date: datetime | None = None,
        conf: Mapping[str, Any] | None = None,
        note: str | None = None,
        data_interval: tuple[datetime, datetime] | None = None,
    ) -> FleetResult[DagRun]:
        """Start a run of `dag_id` on every server."""
        kw: dict[str, Any] = {
            "run_id": run_id,
            "logical_date": logical_date,
            "conf": conf,
            "note": note,
            "data_interval": data_interval,
        }
        return await self._fleet._runs(
            Call(lambda r: r.trigger(dag_id, **kw), lambda r: r.trigger(dag_id, **kw))
        )

    async def get(self, dag_id: str, run_id: str) -> FleetResult[DagRun]:
        """The run from every server that has it (NotFound from the others)."""
        return await self._fleet._runs(
            Call(lambda r: r.get(dag_id, run_id), lambda r: r.get(dag_id, run_id))
        )

    async def list(
        self,
        dag_id: str = "~",
        *,
        limit: int | None = None,
        page_size: int = 100,
        **filters: Any,
    ) -> FleetResult[DagRun]:
        """Runs from every server, merged: ordered by `order_by` across servers when given
        (missing dates last), server by server otherwise. Each server is asked for at most
        `limit` runs in that order, and `limit` applies again after merging, so the first
        `limit` runs of the fleet are exact. Filters are the facade's (`states=`, ...)."""
        keys = order_keys(filters.get("order_by"))

        async def work(member: Member) -> builtins.list[DagRun]:
            runs = await member.run(
                Call(
                    lambda r: r.list(dag_id, limit=limit, page_size=page_size, **filters),
                    lambda r: r.list(dag_id, limit=limit, page_size=page_size, **filters),
                ),
                self._fleet._threads,
            )
            return [stamp(member.name, run) for run in runs]

        result = await self._fleet._gather(work)
        items = merge(result.items, keys)[:limit]
        return attrs.evolve(result, items=tuple(items))

    def iter(
        self,
        dag_id: str = "~",
        *,
        limit: int | None = None,
        page_size: int = 100,
        **filters: Any,
    ) -> AsyncRunStream:
        """Stream a large listing with bounded memory: one page from every server at a time,
        yielded in fleet order (each server's own order within; use `list()` for one merged
        order). The stream's `outcomes` fill in as servers finish."""
        order_keys(filters.get("order_by"))
        return AsyncRunStream(self._fleet, dag_id, limit, page_size, filters)

    async def count(self, dag_id: str = "~", **filters: Any) -> FleetResult[int]:
        """One count per server (`sum(result)` is the fleet's total)."""
        return await self._fleet._each(
            Call(lambda r: r.count(dag_id, **filters), lambda r: r.count(dag_id, **filters))
        )

    async def set_state(
        self, dag_id: str, run_id: str, state: DagRunState | str
    ) -> FleetResult[DagRun]:
        return await self.update(dag_id, run_id, state=state)

    async def set_note(self, dag_id: str, run_id: str, note: str) -> FleetResult[DagRun]:
        return await self.update(dag_id, run_id, note=note)

    async def update(
        self,
        dag_id: str,
        run_id: str,
        *,
        state: DagRunState | str | None = None,
        note: str | None = None,
    ) -> FleetResult[DagRun]:
        return await self._fleet._runs(
            Call(
                lambda r: r.update(dag_id, run_id, state=state, note=note),
                lambda r: r.update(dag_id, run_id, state=state, note=note),
            )
        )

    async def clear(
        self, dag_id: str, run_id: str, *, dry_run: bool = True, only_failed: bool = False
    ) -> FleetResult[ClearResult]:
        """Clear the run's task instances on every server; a dry run (default) only lists them."""
        result = await self._fleet._each(
            Call(
                lambda r: r.clear(dag_id, run_id, dry_run=dry_run, only_failed=only_failed),
                lambda r: r.clear(dag_id, run_id, dry_run=dry_run, only_failed=only_failed),
            )
        )
        per_server = {
            name: tuple(_stamp_clear(name, cleared) for cleared in values)
            for name, values in result.per_server.items()
        }
        items = tuple(item for values in per_server.values() for item in values)
        return attrs.evolve(result, items=items, per_server=per_server)

    async def delete(self, dag_id: str, run_id: str) -> FleetResult[None]:
        return await self._fleet._each(
            Call(lambda r: r.delete(dag_id, run_id), lambda r: r.delete(dag_id, run_id))
        )

    async def upstream_events(self, dag_id: str, run_id: str) -> FleetResult[AssetEvent]:
        """The asset (dataset) events that triggered the run; `per_server` tells whose."""

        async def work(member: Member) -> builtins.list[AssetEvent]:
            return await member.run(
                Call(
                    lambda r: r.upstream_events(dag_id, run_id),
                    lambda r: r.upstream_events(dag_id, run_id),
                ),
                self._fleet._threads,
            )

        return await self._fleet._gather(work)

    async def wait(
        self, dag_id: str, run_id: str, *, timeout: float = 600, interval: float = 5
    ) -> FleetResult[DagRun]:
        """Wait on every server until the run succeeds or fails (WaitTimeout per server after
        `timeout` seconds); each server's deadline is lengthened by `timeout`."""
        return await self._fleet._runs(
            Call(
                lambda r: r.wait(dag_id, run_id, timeout=timeout, interval=interval),
                lambda r: r.wait(dag_id, run_id, timeout=timeout, interval=interval),
            ),
            extra_time=timeout + interval,
        )


def _stamp_clear(name: str, cleared: ClearResult) -> ClearResult:
    if cleared.dag_run is None:
        return cleared
    return attrs.evolve(cleared, dag_run=stamp(name, cleared.dag_run))


class AsyncRunStream:
    """`async for run in fleet.dag_runs.iter(...)`: runs page round by page round.

    `outcomes` holds each server's outcome once it has finished (all of them when the stream
    is exhausted), so errors are never lost while the healthy servers stream on.
    """

    def __init__(
        self,
        fleet: AsyncFleet,
        dag_id: str,
        limit: int | None,
        page_size: int,
        filters: dict[str, Any],
    ) -> None:
        self.outcomes: dict[str, ServerOutcome] = {}
        self._fleet = fleet
        # Built now so bad filters raise at iter() time, as the facade's iter() does.
        self._next_page = {
            m.name: m.pages(dag_id, limit, page_size, filters, fleet._threads)
            for m in fleet._members
        }
        self._page_size = page_size
        self._runs = self._rounds(limit)

    def __aiter__(self) -> AsyncIterator[DagRun]:
        return self._runs

    @property
    def errors(self) -> dict[str, AirflowBridgeError]:
        return {n: o.error for n, o in self.outcomes.items() if o.error is not None}

    async def _rounds(self, limit: int | None) -> AsyncIterator[DagRun]:
        fleet, remaining = self._fleet, limit
        elapsed = dict.fromkeys(self._next_page, 0.0)
        counts = dict.fromkeys(self._next_page, 0)
        while self._next_page and remaining != 0:
            members = [m for m in fleet._members if m.name in self._next_page]
            answers = await fan_out(
                members, lambda m: self._next_page[m.name](), slots=fleet._slots, progress=None
            )
            for name, (values, outcome) in answers.items():
                elapsed[name] += outcome.elapsed
                counts[name] += outcome.count
                if values is None or len(values) < self._page_size:
                    del self._next_page[name]
                    self._finish(name, elapsed[name], counts[name], outcome.error)
            for name, (values, _) in answers.items():
                for run in (values or ())[:remaining]:
                    yield stamp(name, run)
                if remaining is not None:
                    remaining -= min(remaining, len(values or ()))
        for name in list(self._next_page):  # stopped at the limit: these are fine too
            del self._next_page[name]
            self._finish(name, elapsed[name], counts[name], None)

    def _finish(
        self, name: str, elapsed: float, count: int, error: AirflowBridgeError | None
    ) -> None:
        outcome = ServerOutcome(server=name, elapsed=elapsed, count=count, error=error)
        self.outcomes[name] = outcome
        if self._fleet._progress is not None:
            self._fleet._progress(outcome)
