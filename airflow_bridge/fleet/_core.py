"""What a fleet and its selections share, and the work every fleet call does, as coroutines.

`AsyncFleet` awaits these coroutines; `Fleet` (generated from it) hands them to its loop
thread. A fleet operation is one `Operation`: a function of one member's `AsyncDagRuns`
(see `Member.runs`), fanned out by `one()` or `many()`; `each()`/`each_many()` do the same
for another facade of the member (`dags_of`, `task_instances_of`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

import anyio
import attrs

from airflow_bridge import (
    AsyncClient,
    AsyncDagRuns,
    AsyncDags,
    AsyncTaskInstances,
    ClearResult,
    Client,
    Dag,
    DagRun,
    ServerInfo,
    TaskInstance,
)
from airflow_bridge.errors import AirflowBridgeError
from airflow_bridge.retries import RetryPolicy

from ._config import FleetConfigError, Server
from ._fanout import GcPause, Progress, fan_out
from ._members import Member, ServerStatus
from ._order import merge, order_keys
from ._result import FleetResult, ServerOutcome

if TYPE_CHECKING:
    from typing import TypeAlias

    from airflow_bridge import RunFilters

T = TypeVar("T")
R = TypeVar("R")
#: What a fleet labels with the member's name (their `server` field).
S = TypeVar("S", DagRun, Dag, TaskInstance)
#: One fleet member as given: a `Server` spec (the fleet builds and owns its client) or a
#: ready-made client of either kind.
MemberSpec: TypeAlias = Server | AsyncClient | Client
#: One operation on one member, written against the async facade (`Member.runs`).
Operation: TypeAlias = Callable[[AsyncDagRuns], Awaitable[T]]
Label: TypeAlias = Callable[[str, T], T]

DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_CONCURRENCY = 256
DEFAULT_PER_SERVER = 4


def stamp(name: str, item: S) -> S:
    """The run (DAG, task instance) labelled with the fleet member's name instead of its
    base URL."""
    return attrs.evolve(item, server=name)


def stamp_listed(name: str, run: DagRun) -> DagRun:
    """`stamp` for a run fresh from a member's listing iterator, which holds no reference to
    it: its `server` slot is set in place, as the parse sets every slot. `attrs.evolve`
    (3 µs a run) cost about as much as parsing the run."""
    _set_slot(run, "server", name)
    return run


_set_slot = object.__setattr__


def runs_of(member: Member) -> AsyncDagRuns:
    return member.runs


def dags_of(member: Member) -> AsyncDags:
    return member.dags


def task_instances_of(member: Member) -> AsyncTaskInstances:
    return member.task_instances


def stamp_clear(name: str, cleared: ClearResult) -> ClearResult:
    if cleared.dag_run is None:
        return cleared
    return attrs.evolve(cleared, dag_run=stamp(name, cleared.dag_run))


@attrs.frozen
class FleetCore:
    """The members, the fleet-wide bounds, and the progress callback of one fleet view."""

    members: tuple[Member, ...]
    slots: anyio.Semaphore
    threads: anyio.CapacityLimiter
    progress: Progress | None = None

    @classmethod
    def build(
        cls,
        members: Mapping[str, MemberSpec],
        *,
        tags: Mapping[str, Iterable[str]] | None,
        timeout: float | None,
        max_concurrency: int,
        per_server_concurrency: int,
        retries: RetryPolicy | int | None = None,
    ) -> FleetCore:
        """Check the fleet's arguments (ValueError, TypeError) and build its members."""
        if not members:
            raise ValueError("a fleet needs at least one server")
        if max_concurrency < 1 or per_server_concurrency < 1:
            raise ValueError("max_concurrency and per_server_concurrency must be at least 1")
        tags = tags or {}
        unknown = set(tags) - set(members)
        if unknown:
            raise ValueError(f"tags given for unknown server(s): {', '.join(sorted(unknown))}")
        threads = anyio.CapacityLimiter(max_concurrency)
        built = []
        for name, given in members.items():
            if not name or name.startswith("tag:") or "," in name:
                raise ValueError(f"invalid server name {name!r} (no commas, no 'tag:' prefix)")
            slots = anyio.Semaphore(per_server_concurrency, fast_acquire=True)
            member_tags = tuple(tags.get(name, ()))
            if isinstance(given, Server):
                client, http = given.connect(
                    timeout, retries=retries, max_concurrency=per_server_concurrency
                )
                built.append(
                    Member(
                        name=name,
                        client=client,
                        tags=member_tags or given.tags,
                        timeout=given.timeout if given.timeout is not None else timeout,
                        slots=slots,
                        threads=threads,
                        http=http,
                    )
                )
            elif isinstance(given, AsyncClient | Client):
                built.append(
                    Member(
                        name=name,
                        client=given,
                        tags=member_tags,
                        timeout=timeout,
                        slots=slots,
                        threads=threads,
                    )
                )
            else:
                raise TypeError(f"server {name!r}: expected a Server, AsyncClient or Client")
        return cls(tuple(built), anyio.Semaphore(max_concurrency, fast_acquire=True), threads)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.members)

    def select(self, selectors: Sequence[str]) -> FleetCore:
        """The members named or tagged (`"tag:eu"`); FleetConfigError names what exists."""
        chosen: set[str] = set()
        for selector in selectors:
            if selector.startswith("tag:"):
                tag = selector.removeprefix("tag:")
                hits = {m.name for m in self.members if tag in m.tags}
                if not hits:
                    known = sorted({t for m in self.members for t in m.tags})
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
        return attrs.evolve(self, members=tuple(m for m in self.members if m.name in chosen))

    # -- fan-out -----------------------------------------------------------------------------

    async def gather(
        self,
        work: Callable[[Member], Awaitable[Sequence[T]]],
        *,
        extra_time: float = 0.0,
        pause: GcPause | None = None,
    ) -> FleetResult[T]:
        answers = await fan_out(
            self.members,
            work,
            slots=self.slots,
            progress=self.progress,
            extra_time=extra_time,
            pause=pause,
        )
        per_server = {name: values for name, (values, _) in answers.items() if values is not None}
        return FleetResult(
            items=tuple(item for values in per_server.values() for item in values),
            per_server=per_server,
            outcomes={name: outcome for name, (_, outcome) in answers.items()},
        )

    async def one(
        self, operation: Operation[T], *, label: Label[T] | None = None, extra_time: float = 0.0
    ) -> FleetResult[T]:
        """`operation` on every member: one value each, labelled with its name if asked."""
        return await self.each(runs_of, operation, label=label, extra_time=extra_time)

    async def many(
        self, operation: Operation[Sequence[T]], *, label: Label[T] | None = None
    ) -> FleetResult[T]:
        """`operation` on every member: a sequence each, items labelled if asked."""
        return await self.each_many(runs_of, operation, label=label)

    async def each(
        self,
        facade: Callable[[Member], R],
        operation: Callable[[R], Awaitable[T]],
        *,
        label: Label[T] | None = None,
        extra_time: float = 0.0,
    ) -> FleetResult[T]:
        """`operation` on each member's `facade` (e.g. `dags_of`): one value each."""

        async def work(member: Member) -> tuple[T]:
            value = await operation(facade(member))
            return (value if label is None else label(member.name, value),)

        return await self.gather(work, extra_time=extra_time)

    async def each_many(
        self,
        facade: Callable[[Member], R],
        operation: Callable[[R], Awaitable[Sequence[T]]],
        *,
        label: Label[T] | None = None,
    ) -> FleetResult[T]:
        """`operation` on each member's `facade`: a sequence each, items labelled if asked."""

        async def work(member: Member) -> list[T]:
            values = await operation(facade(member))
            return [v if label is None else label(member.name, v) for v in values]

        return await self.gather(work)

    async def listing(
        self, dag_id: str, limit: int | None, page_size: int, filters: RunFilters
    ) -> FleetResult[DagRun]:
        """Every member's runs, merged; a member that fails part-way (an error or its
        deadline after some pages) keeps the runs it sent, marked `partial`."""
        keys = order_keys(filters.get("order_by"))
        received: dict[str, list[DagRun]] = {}
        pause = GcPause(len(self.members))

        async def work(member: Member) -> list[DagRun]:
            got = received[member.name] = []
            client = member.client
            if isinstance(client, AsyncClient):
                runs = client.dag_runs.iter(dag_id, limit=limit, page_size=page_size, **filters)
                async for run in runs:
                    got.append(stamp_listed(member.name, run))
                    pause.check()  # a long listing resumes the collector after a few pages
                return got

            def collect() -> list[DagRun]:  # a sync client: in a worker thread
                for run in client.dag_runs.iter(
                    dag_id, limit=limit, page_size=page_size, **filters
                ):
                    got.append(stamp_listed(member.name, run))
                return got

            return await anyio.to_thread.run_sync(
                collect, limiter=member.threads, abandon_on_cancel=True
            )

        result = with_partial(await self.gather(work, pause=pause), received)
        return attrs.evolve(result, items=tuple(merge(result.items, keys)[:limit]))

    def stream(self, dag_id: str, limit: int | None, page_size: int, filters: RunFilters) -> Rounds:
        order_keys(filters.get("order_by"))
        return Rounds(self, dag_id, limit, page_size, filters)

    async def probe(self) -> FleetResult[ServerStatus]:
        return await self.gather(lambda m: _one(m.probe()))

    async def server_info(self) -> FleetResult[ServerInfo]:
        return await self.gather(lambda m: _one(m.info()))

    async def close_members(self) -> None:
        for member in self.members:
            await member.aclose()


async def _one(value: Awaitable[T]) -> tuple[T]:
    return (await value,)


def with_partial(
    result: FleetResult[DagRun], received: Mapping[str, Sequence[DagRun]]
) -> FleetResult[DagRun]:
    """`result` plus the runs of each failed server that had received some, its outcome
    marked `partial` (counting them)."""
    outcomes = dict(result.outcomes)
    per_server = dict(result.per_server)
    for name, outcome in result.outcomes.items():
        runs = received.get(name, ())
        if outcome.error is not None and runs:
            outcomes[name] = attrs.evolve(outcome, count=len(runs), partial=True)
            per_server[name] = tuple(runs)
    per_server = {name: per_server[name] for name in outcomes if name in per_server}
    return FleetResult(
        items=tuple(run for runs in per_server.values() for run in runs),
        per_server=per_server,
        outcomes=outcomes,
    )


class Rounds:
    """A fleet listing walked page round by page round: one page from every server at a
    time, yielded in fleet order. `outcomes` fills in as servers finish."""

    def __init__(
        self, core: FleetCore, dag_id: str, limit: int | None, page_size: int, filters: RunFilters
    ) -> None:
        self.outcomes: dict[str, ServerOutcome] = {}
        self._core = core
        # Built now so bad filters raise at iter() time, as the facade's iter() does.
        self._next_page = {m.name: m.pages(dag_id, limit, page_size, filters) for m in core.members}
        self._page_size = page_size
        self._runs = self._rounds(limit)

    @property
    def errors(self) -> dict[str, AirflowBridgeError]:
        return {n: o.error for n, o in self.outcomes.items() if o.error is not None}

    async def next(self) -> DagRun | None:
        """The next run, or None when the listing is exhausted."""
        try:
            run: DagRun = await anext(self._runs)
        except StopAsyncIteration:
            return None
        return run

    async def _rounds(self, limit: int | None) -> AsyncIterator[DagRun]:
        core, remaining = self._core, limit
        elapsed = dict.fromkeys(self._next_page, 0.0)
        counts = dict.fromkeys(self._next_page, 0)
        while self._next_page and remaining != 0:
            members = [m for m in core.members if m.name in self._next_page]
            answers = await fan_out(
                members, lambda m: self._next_page[m.name](), slots=core.slots, progress=None
            )
            for name, (values, outcome) in answers.items():
                elapsed[name] += outcome.elapsed
                counts[name] += outcome.count
                if values is None or len(values) < self._page_size:
                    del self._next_page[name]
                    self._finish(name, elapsed[name], counts[name], outcome.error)
            for name, (values, _) in answers.items():
                for run in (values or ())[:remaining]:
                    yield stamp_listed(name, run)
                if remaining is not None:
                    remaining -= min(remaining, len(values or ()))
        for name in list(self._next_page):  # stopped at the limit: these are fine too
            del self._next_page[name]
            self._finish(name, elapsed[name], counts[name], None)

    def _finish(
        self, name: str, elapsed: float, count: int, error: AirflowBridgeError | None
    ) -> None:
        partial = error is not None and count > 0  # its earlier pages were yielded already
        outcome = ServerOutcome(
            server=name, elapsed=elapsed, count=count, error=error, partial=partial
        )
        self.outcomes[name] = outcome
        if self._core.progress is not None:
            self._core.progress(outcome)
