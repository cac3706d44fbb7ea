"""`AsyncFleet`: many Airflow servers, of either generation, queried as one.

fleet/_async.py is the one source of both fleets: fleet/_sync.py is generated from it by
scripts/unasync.py, and differs only in where the coroutines run (the caller's event loop
here, the sync fleet's loop thread there: see `_portal`). The work itself is in `_core`
(coroutines over the members); each method here states one operation and documents it for
both fleets.

Every call fans out to the selected servers at once; each server's version detection happens
inside its own task, so a new fleet detects all its servers concurrently on first use.
"""

from __future__ import annotations

import os
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from airflow_bridge import (
    AssetEvent,
    ClearResult,
    Dag,
    DagRun,
    DagRunState,
    LogRecord,
    ServerInfo,
    TaskInstance,
)
from airflow_bridge.errors import AirflowBridgeError
from airflow_bridge.retries import RetryPolicy

from ._config import load_fleet_file
from ._core import (
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_PER_SERVER,
    DEFAULT_TIMEOUT,
    FleetCore,
    MemberSpec,
    Rounds,
    dags_of,
    stamp,
    stamp_clear,
    task_instances_of,
)
from ._fanout import Progress
from ._members import ServerStatus
from ._portal import AsyncPortal
from ._result import FleetResult, ServerOutcome

if TYPE_CHECKING:
    from typing_extensions import Self, Unpack

    from airflow_bridge import RunFilters

T = TypeVar("T")


class AsyncFleet:
    """A named set of Airflow servers, Airflow 2 and 3 mixed, queried concurrently as one.

    Members are `Server` specs (the fleet builds, owns and closes their clients) or
    ready-made clients, sync or async (a sync client's calls run in worker threads). Every
    call returns a `FleetResult`: what the servers that answered returned, and one outcome per
    server, so one server down never hides the others. Close the fleet (or use it as a
    context manager) to close its members.

    While a call fans out (except `wait`), Python's cyclic garbage collector is paused
    process-wide (pauses nest across threads): resumed when the call ends, or once about
    1,000 objects per server have been allocated, so a long listing runs with it on after
    its first pages. A collector the application disabled stays disabled.

    Args:
        members: Server name -> `Server`, `AsyncClient` or `Client`. Names may not be empty,
            contain a comma or start with `tag:`.
        tags: Server name -> its tags, for `select("tag:NAME")`; a `Server`'s own `tags`
            are used when a server is not listed here.
        timeout: Each server's deadline in seconds for one call (a `Server`'s own `timeout`
            wins); None waits as long as the server's HTTP timeout allows. Default 60.
        max_concurrency: How many servers are worked on at once. Default 256.
        per_server_concurrency: How many calls may be in flight to one server. Default 4.
            The clients built for `Server` members also send at most this many requests
            at once (their `max_concurrency`).
        retries: The retry policy of the clients built for `Server` members (`RetryPolicy`,
            or an int n of retries, 0 for none; None: `DEFAULT_RETRIES`). Ready-made clients
            keep their own.

    Raises:
        ValueError: No members, a bound below 1, an invalid server name, or tags for a
            server that is not a member.
        TypeError: A member that is neither a `Server` nor a client.

    Examples:
        ```python
        fleet = AsyncFleet.from_file("fleet.toml")
        failed = await fleet.select("tag:eu").dag_runs.list(states=["failed"])
        for run in failed:
            print(run.server, run.dag_id, run.run_id)
        ```
    """

    #: The DagRun operations, on every selected server at once.
    dag_runs: AsyncFleetDagRuns
    #: The DAG operations (get, list, pause, unpause), on every selected server at once.
    dags: AsyncFleetDags
    #: A run's task instances, their logs, and clearing them, on every selected server.
    task_instances: AsyncFleetTaskInstances

    def __init__(
        self,
        members: Mapping[str, MemberSpec],
        *,
        tags: Mapping[str, Iterable[str]] | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        per_server_concurrency: int = DEFAULT_PER_SERVER,
        retries: RetryPolicy | int | None = None,
    ) -> None:
        core = FleetCore.build(
            members,
            tags=tags,
            timeout=timeout,
            max_concurrency=max_concurrency,
            per_server_concurrency=per_server_concurrency,
            retries=retries,
        )
        self._attach(core, AsyncPortal(), owner=True)

    def _attach(self, core: FleetCore, portal: AsyncPortal, *, owner: bool) -> None:
        self._core = core
        self._portal = portal
        self._owner = owner
        self.dag_runs = AsyncFleetDagRuns(core, portal)
        self.dags = AsyncFleetDags(core, portal)
        self.task_instances = AsyncFleetTaskInstances(core, portal)

    def _view(self, core: FleetCore) -> Self:
        view = object.__new__(type(self))
        view._attach(core, self._portal, owner=False)
        return view

    @classmethod
    def from_file(
        cls,
        path: str | os.PathLike[str],
        *,
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Self:
        """A fleet from a TOML fleet file (the format is in `load_fleet_file`).

        Args:
            path: The fleet file.
            env: Replaces `os.environ` for the file's `*_env` keys (the variables holding
                secrets).
            timeout: Each server's deadline in seconds; overrides the file's `[fleet]`
                timeout (a server's own `timeout` still wins).

        Returns:
            The fleet, with the file's `[fleet]` settings.

        Raises:
            FleetConfigError: The file cannot be read or is wrong; the message names the
                file, the server and the key.
        """
        file = load_fleet_file(path, env)
        settings = dict(file.settings)
        if timeout is not None:
            settings["timeout"] = timeout
        return cls(file.servers, **settings)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(self.names)})"

    def __len__(self) -> int:
        return len(self._core.members)

    @property
    def names(self) -> tuple[str, ...]:
        """The members' names, in the order given."""
        return self._core.names

    @property
    def urls(self) -> dict[str, str]:
        """Member name -> base URL (never with credentials)."""
        return {m.name: m.url for m in self._core.members}

    @property
    def tags(self) -> dict[str, tuple[str, ...]]:
        """Member name -> its tags."""
        return {m.name: m.tags for m in self._core.members}

    def select(self, *selectors: str) -> Self:
        """The members named, or tagged (`"tag:eu"`), as a fleet of their own.

        The selection shares this fleet's connections, bounds and thread; closing it closes
        nothing (close the fleet it came from, which ends its selections too).

        Args:
            *selectors: Member names and `tag:TAG` selectors; none keeps every member.

        Returns:
            The selected members, in this fleet's order.

        Raises:
            FleetConfigError: No member has that name or tag (the message lists those that
                exist).
        """
        if not selectors:
            return self
        return self._view(self._core.select(selectors))

    def with_progress(self, callback: Progress | None) -> Self:
        """This fleet, calling `callback(outcome)` as each server finishes its part of a call.

        Meant to drive a progress bar; for a sync `Fleet` the callback runs on the fleet's
        thread and must not call the fleet. Shares connections like `select`.

        Args:
            callback: Called with each server's `ServerOutcome`; None for no callback.

        Returns:
            The same members, reporting progress.
        """
        return self._view(attrs.evolve(self._core, progress=callback))

    async def probe(self) -> FleetResult[ServerStatus]:
        """Every server's version, API generation, health, credentials check and latency.

        Health comes from the generation's unauthenticated health endpoint, for members
        given as `Server` specs (None for ready-made clients).

        Returns:
            One `ServerStatus` per server that answered; the others' errors in `errors`.

        Raises:
            RuntimeError: The fleet is closed, or a sync `Fleet` is called from its own
                progress callback.
        """
        return await self._portal.run(self._core.probe())

    async def server_info(self) -> FleetResult[ServerInfo]:
        """Every server's version and API generation, detected concurrently (then cached).

        Returns:
            One `ServerInfo` per server that answered; the others' errors in `errors`.

        Raises:
            RuntimeError: The fleet is closed, or a sync `Fleet` is called from its own
                progress callback.
        """
        return await self._portal.run(self._core.server_info())

    async def aclose(self) -> None:
        """Close every member's connections; on a selection, nothing.

        Calls made after closing raise RuntimeError("this fleet is closed"); closing twice
        is harmless.

        Raises:
            RuntimeError: A sync `Fleet` closed from its own progress callback.
        """
        if self._owner and self._portal.open:
            await self._portal.run(self._core.close_members())
            self._portal.stop()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class AsyncFleetDagRuns:
    """`fleet.dag_runs`: the facade's DagRun operations on every selected server at once.

    Each method takes the arguments of the `dag_runs` method of the same name (a test keeps
    them equal) and checks them the same way, before anything is sent. Each returns a
    `FleetResult`: what the servers that succeeded returned, each run's `server` set to the
    member's name, and one outcome per server; a server's typed error (`NotFound`,
    `UnsupportedOperation` from a release that lacks the operation, `ServerTimeout`, ...) is
    in `result.errors`, never raised. A run id is the same on every server only if you chose
    it (`trigger(run_id=)`).

    Every method raises `InvalidArgument` for arguments no server takes (as the facade
    does), and RuntimeError when the fleet is closed.

    Args:
        core: The fleet's members and bounds (the fleet builds its `dag_runs`).
        portal: Where the fleet's coroutines run.
    """

    def __init__(self, core: FleetCore, portal: AsyncPortal) -> None:
        self._core = core
        self._portal = portal

    async def _run(self, work: Coroutine[Any, Any, T]) -> T:
        return await self._portal.run(work)

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
        """Start a run of `dag_id` on every server.

        Args:
            dag_id: The DAG to run.
            run_id: The run's id on every server (at most 250 characters); None lets each
                server make one.
            logical_date: Timezone-aware; None lets each server pick one (or none, on
                Airflow 3).
            conf: The run's configuration, a mapping of JSON values.
            note: A note on the run (Airflow 2.5+ and 3).
            data_interval: (start, end), timezone-aware.

        Returns:
            The new run from every server that started it.

        Raises:
            InvalidArgument: An argument no server takes, before anything is sent.
            RuntimeError: The fleet is closed, or a sync `Fleet` is called from its own
                progress callback.
        """
        return await self._run(
            self._core.one(
                lambda runs: runs.trigger(
                    dag_id,
                    run_id=run_id,
                    logical_date=logical_date,
                    conf=conf,
                    note=note,
                    data_interval=data_interval,
                ),
                label=stamp,
            )
        )

    async def get(self, dag_id: str, run_id: str) -> FleetResult[DagRun]:
        """The run from every server that has it.

        Args:
            dag_id: The run's DAG.
            run_id: The run's id.

        Returns:
            The run from each server that has it; `NotFound` from the others.

        Raises:
            InvalidArgument: An argument no server takes, before anything is sent.
            RuntimeError: The fleet is closed, or a sync `Fleet` is called from its own
                progress callback.
        """
        return await self._run(self._core.one(lambda runs: runs.get(dag_id, run_id), label=stamp))

    async def list(
        self,
        dag_id: str = "~",
        *,
        limit: int | None = None,
        page_size: int = 100,
        **filters: Unpack[RunFilters],
    ) -> FleetResult[DagRun]:
        """Runs from every server, merged.

        With `order_by` the runs are ordered across servers by those keys (missing dates
        last in either direction); without it they come server by server, each in its
        server's order. Each server is asked for at most `limit` runs in that order, and
        `limit` applies again after merging, so the fleet's first `limit` runs are exact.

        Args:
            dag_id: A DAG id, or `"~"` for every DAG.
            limit: At most this many runs in all; None for every run.
            page_size: Runs per request to a server.
            **filters: The facade's filters (`RunFilters`: `states=`, `start_date_gte=`,
                `order_by=`, ...).

        Returns:
            The merged runs in `items`, each server's own in `per_server`. A server that
            failed after some pages (an error or its deadline) keeps the runs it sent:
            they are in `items` and `per_server`, its outcome has the error and
            `partial=True`, and `result.partial` names it.

        Raises:
            ValueError: `order_by` names a per-server value (`id`, `updated_at`), which
                cannot order runs across servers; raised before anything is sent.
            InvalidArgument: An argument no server takes, before anything is sent.
            RuntimeError: The fleet is closed, or a sync `Fleet` is called from its own
                progress callback.
        """
        return await self._run(self._core.listing(dag_id, limit, page_size, filters))

    def iter(
        self,
        dag_id: str = "~",
        *,
        limit: int | None = None,
        page_size: int = 100,
        **filters: Unpack[RunFilters],
    ) -> AsyncRunStream:
        """Stream a large listing with bounded memory: one page from every server at a time.

        Runs come page round by page round, each server's in its own order within a round
        (use `list()` for one order across servers). The arguments are checked at once.

        Args:
            dag_id: A DAG id, or `"~"` for every DAG.
            limit: At most this many runs in all; None for every run.
            page_size: Runs per request to a server, and per round.
            **filters: The facade's filters (`RunFilters`).

        Returns:
            The stream of runs; its `outcomes` fill in as servers finish (a server that
            failed after some pages: its runs were streamed, its outcome says `partial`).

        Raises:
            ValueError: `order_by` names a per-server value (`id`, `updated_at`).
            InvalidArgument: An argument no server takes, before anything is sent.
        """
        return AsyncRunStream(self._core.stream(dag_id, limit, page_size, filters), self._portal)

    async def count(self, dag_id: str = "~", **filters: Unpack[RunFilters]) -> FleetResult[int]:
        """How many runs match on each server (`sum(result)` is the fleet's total).

        Args:
            dag_id: A DAG id, or `"~"` for every DAG.
            **filters: The facade's filters (`RunFilters`).

        Returns:
            One count per server that answered.

        Raises:
            InvalidArgument: An argument no server takes, before anything is sent.
            RuntimeError: The fleet is closed, or a sync `Fleet` is called from its own
                progress callback.
        """
        return await self._run(self._core.one(lambda runs: runs.count(dag_id, **filters)))

    async def set_state(
        self, dag_id: str, run_id: str, state: DagRunState | str
    ) -> FleetResult[DagRun]:
        """Mark the run queued, success or failed on every server.

        Args:
            dag_id: The run's DAG.
            run_id: The run's id.
            state: `queued`, `success` or `failed` (servers refuse `running`).

        Returns:
            The updated run from every server that has it.

        Raises:
            InvalidArgument: An argument no server takes, before anything is sent.
            RuntimeError: The fleet is closed, or a sync `Fleet` is called from its own
                progress callback.
        """
        return await self.update(dag_id, run_id, state=state)

    async def set_note(self, dag_id: str, run_id: str, note: str) -> FleetResult[DagRun]:
        """Set the run's note on every server (`UnsupportedOperation` before Airflow 2.5).

        Args:
            dag_id: The run's DAG.
            run_id: The run's id.
            note: At most 1000 characters; `""` removes the note.

        Returns:
            The updated run from every server that has it.

        Raises:
            InvalidArgument: An argument no server takes, before anything is sent.
            RuntimeError: The fleet is closed, or a sync `Fleet` is called from its own
                progress callback.
        """
        return await self.update(dag_id, run_id, note=note)

    async def update(
        self,
        dag_id: str,
        run_id: str,
        *,
        state: DagRunState | str | None = None,
        note: str | None = None,
    ) -> FleetResult[DagRun]:
        """Set the run's state and/or note on every server.

        Args:
            dag_id: The run's DAG.
            run_id: The run's id.
            state: `queued`, `success` or `failed`; None leaves it.
            note: At most 1000 characters, `""` removes it; None leaves it.

        Returns:
            The updated run from every server that has it (`PartialUpdate` from an Airflow 2
            server that applied the state but refused the note).

        Raises:
            InvalidArgument: An argument no server takes, before anything is sent.
            RuntimeError: The fleet is closed, or a sync `Fleet` is called from its own
                progress callback.
        """
        return await self._run(
            self._core.one(
                lambda runs: runs.update(dag_id, run_id, state=state, note=note), label=stamp
            )
        )

    async def clear(
        self, dag_id: str, run_id: str, *, dry_run: bool = True, only_failed: bool = False
    ) -> FleetResult[ClearResult]:
        """Clear the run's task instances on every server; a dry run (default) only lists them.

        Args:
            dag_id: The run's DAG.
            run_id: The run's id.
            dry_run: True (default) reports what would be cleared and changes nothing.
            only_failed: Clear only failed and upstream-failed task instances.

        Returns:
            One `ClearResult` per server that has the run (`UnsupportedOperation` before
            Airflow 2.4).

        Raises:
            InvalidArgument: An argument no server takes, before anything is sent.
            RuntimeError: The fleet is closed, or a sync `Fleet` is called from its own
                progress callback.
        """
        return await self._run(
            self._core.one(
                lambda runs: runs.clear(dag_id, run_id, dry_run=dry_run, only_failed=only_failed),
                label=stamp_clear,
            )
        )

    async def delete(self, dag_id: str, run_id: str) -> FleetResult[None]:
        """Delete the run on every server.

        Args:
            dag_id: The run's DAG.
            run_id: The run's id.

        Returns:
            One None per server that deleted it; `NotFound` from the others.

        Raises:
            InvalidArgument: An argument no server takes, before anything is sent.
            RuntimeError: The fleet is closed, or a sync `Fleet` is called from its own
                progress callback.
        """
        return await self._run(self._core.one(lambda runs: runs.delete(dag_id, run_id)))

    async def upstream_events(self, dag_id: str, run_id: str) -> FleetResult[AssetEvent]:
        """The asset (dataset, on Airflow 2) events that triggered the run, on every server.

        Args:
            dag_id: The run's DAG.
            run_id: The run's id.

        Returns:
            Every server's events in `items`; `per_server` tells whose they are.

        Raises:
            InvalidArgument: An argument no server takes, before anything is sent.
            RuntimeError: The fleet is closed, or a sync `Fleet` is called from its own
                progress callback.
        """
        return await self._run(self._core.many(lambda runs: runs.upstream_events(dag_id, run_id)))

    async def wait(
        self,
        dag_id: str,
        run_id: str,
        *,
        timeout: float = 600,
        interval: float = 5,
        max_interval: float = 60,
        deadline: datetime | None = None,
        raise_on_failure: bool = False,
    ) -> FleetResult[DagRun]:
        """Wait on every server until the run succeeds or fails.

        Each server's deadline is lengthened by `timeout + interval`, so the wait itself
        never counts against it.

        Args:
            dag_id: The run's DAG.
            run_id: The run's id.
            timeout: Seconds to wait per server; then that server's outcome is `WaitTimeout`.
            interval: Seconds before the second poll; the pause grows to `max_interval`.
            max_interval: The longest pause between polls in seconds (default 60).
            deadline: An aware datetime to stop at if it comes before `timeout` runs out.
            raise_on_failure: A server whose run failed has `RunFailed` as its outcome
                (carrying its failed task instances) instead of the failed run.

        Returns:
            The finished run from every server.

        Raises:
            InvalidArgument: An argument no server takes, before anything is sent.
            RuntimeError: The fleet is closed, or a sync `Fleet` is called from its own
                progress callback.
        """
        return await self._run(
            self._core.one(
                lambda runs: runs.wait(
                    dag_id,
                    run_id,
                    timeout=timeout,
                    interval=interval,
                    max_interval=max_interval,
                    deadline=deadline,
                    raise_on_failure=raise_on_failure,
                ),
                label=stamp,
                extra_time=timeout + interval,
            )
        )


class AsyncFleetDags:
    """`fleet.dags`: the facade's DAG operations on every selected server at once.

    Each method takes the arguments of the `dags` method of the same name (a test keeps them
    equal) and checks them the same way, before anything is sent. Each returns a
    `FleetResult`: what the servers that succeeded returned, each DAG's `server` set to the
    member's name, and one outcome per server; a server's typed error (`NotFound`,
    `UnsupportedOperation` for a filter its release lacks, `ServerTimeout`, ...) is in
    `result.errors`, never raised. `iter()` has no fleet form: `list(limit=)` bounds it.

    Every method raises `InvalidArgument` for arguments no server takes (as the facade
    does), and RuntimeError when the fleet is closed.

    Args:
        core: The fleet's members and bounds (the fleet builds its `dags`).
        portal: Where the fleet's coroutines run.
    """

    def __init__(self, core: FleetCore, portal: AsyncPortal) -> None:
        self._core = core
        self._portal = portal

    async def get(self, dag_id: str) -> FleetResult[Dag]:
        """The DAG from every server that has it.

        Args:
            dag_id: The DAG.

        Returns:
            The DAG from each server that has it; `NotFound` from the others.

        Raises:
            InvalidArgument: An argument no server takes, before anything is sent.
            RuntimeError: The fleet is closed, or a sync `Fleet` is called from its own
                progress callback.
        """
        return await self._portal.run(
            self._core.each(dags_of, lambda dags: dags.get(dag_id), label=stamp)
        )

    async def list(
        self,
        *,
        paused: bool | None = None,
        tags: Sequence[str] | None = None,
        dag_id_pattern: str | None = None,
        limit: int | None = None,
    ) -> FleetResult[Dag]:
        """DAGs from every server, server by server, each server's ordered by dag_id.

        Args:
            paused: True: only paused DAGs; False: only unpaused; None: both (Airflow 2.6+
                and 3).
            tags: Only DAGs with any of these tags (Airflow 2.2+ and 3).
            dag_id_pattern: An SQL LIKE pattern on dag_id (Airflow 2.3+ and 3).
            limit: At most this many DAGs per server; None for all.

        Returns:
            Every server's DAGs in `items`; `per_server` tells whose they are.

        Raises:
            InvalidArgument: An argument no server takes, before anything is sent.
            RuntimeError: The fleet is closed, or a sync `Fleet` is called from its own
                progress callback.
        """
        return await self._portal.run(
            self._core.each_many(
                dags_of,
                lambda dags: dags.list(
                    paused=paused, tags=tags, dag_id_pattern=dag_id_pattern, limit=limit
                ),
                label=stamp,
            )
        )

    async def pause(self, dag_id: str) -> FleetResult[Dag]:
        """Pause the DAG on every server (their scheduler starts none of its runs).

        Args:
            dag_id: The DAG.

        Returns:
            The DAG after the change from every server that has it.

        Raises:
            InvalidArgument: An argument no server takes, before anything is sent.
            RuntimeError: The fleet is closed, or a sync `Fleet` is called from its own
                progress callback.
        """
        return await self._portal.run(
            self._core.each(dags_of, lambda dags: dags.pause(dag_id), label=stamp)
        )

    async def unpause(self, dag_id: str) -> FleetResult[Dag]:
        """Unpause the DAG on every server, so their scheduler starts its runs.

        Args:
            dag_id: The DAG.

        Returns:
            The DAG after the change from every server that has it.

        Raises:
            InvalidArgument: An argument no server takes, before anything is sent.
            RuntimeError: The fleet is closed, or a sync `Fleet` is called from its own
                progress callback.
        """
        return await self._portal.run(
            self._core.each(dags_of, lambda dags: dags.unpause(dag_id), label=stamp)
        )


class AsyncFleetTaskInstances:
    """`fleet.task_instances`: a run's task instances, logs and clearing on every server.

    Each method takes the arguments of the `task_instances` method of the same name (a test
    keeps them equal) and returns a `FleetResult` with one outcome per server, each task
    instance's `server` set to the member's name. A run id is the same on every server only
    if you chose it. `iter()` and `iter_logs()` (streams, `follow=`) have no fleet form.

    Every method raises `InvalidArgument` for arguments no server takes (as the facade
    does), and RuntimeError when the fleet is closed.

    Args:
        core: The fleet's members and bounds (the fleet builds its `task_instances`).
        portal: Where the fleet's coroutines run.
    """

    def __init__(self, core: FleetCore, portal: AsyncPortal) -> None:
        self._core = core
        self._portal = portal

    async def list(
        self, dag_id: str, run_id: str, *, states: Sequence[str] | None = None
    ) -> FleetResult[TaskInstance]:
        """The run's task instances from every server that has the run.

        Args:
            dag_id: The run's DAG.
            run_id: The run.
            states: Only instances in these states, any case.

        Returns:
            Every server's task instances in `items`; `per_server` tells whose they are.

        Raises:
            InvalidArgument: An argument no server takes, before anything is sent.
            RuntimeError: The fleet is closed, or a sync `Fleet` is called from its own
                progress callback.
        """
        return await self._portal.run(
            self._core.each_many(
                task_instances_of, lambda tis: tis.list(dag_id, run_id, states=states), label=stamp
            )
        )

    async def failed(self, dag_id: str, run_id: str) -> FleetResult[TaskInstance]:
        """The run's task instances in state `failed`, from every server that has the run.

        Args:
            dag_id: The run's DAG.
            run_id: The run.

        Returns:
            Every server's failed task instances in `items`.

        Raises:
            InvalidArgument: An argument no server takes, before anything is sent.
            RuntimeError: The fleet is closed, or a sync `Fleet` is called from its own
                progress callback.
        """
        return await self._portal.run(
            self._core.each_many(
                task_instances_of, lambda tis: tis.failed(dag_id, run_id), label=stamp
            )
        )

    async def get(
        self, dag_id: str, run_id: str, task_id: str, *, map_index: int = -1
    ) -> FleetResult[TaskInstance]:
        """One task instance from every server that has it.

        Args:
            dag_id: The run's DAG.
            run_id: The run.
            task_id: The task.
            map_index: -1 for a task that is not mapped, else a mapped instance's index.

        Returns:
            The task instance from each server that has it; `NotFound` from the others.

        Raises:
            InvalidArgument: An argument no server takes, before anything is sent.
            RuntimeError: The fleet is closed, or a sync `Fleet` is called from its own
                progress callback.
        """
        return await self._portal.run(
            self._core.each(
                task_instances_of,
                lambda tis: tis.get(dag_id, run_id, task_id, map_index=map_index),
                label=stamp,
            )
        )

    async def logs(
        self,
        dag_id: str,
        run_id: str,
        task_id: str,
        *,
        try_number: int | None = None,
        map_index: int = -1,
    ) -> FleetResult[LogRecord]:
        """A try's whole log as it is now, from every server that has the task instance.

        Args:
            dag_id: The run's DAG.
            run_id: The run.
            task_id: The task.
            try_number: The try (>= 1); None reads each server's latest try.
            map_index: -1 for a task that is not mapped, else a mapped instance's index.

        Returns:
            Every server's records in `items`, oldest first per server; `per_server` tells
            whose they are.

        Raises:
            InvalidArgument: An argument no server takes, before anything is sent.
            RuntimeError: The fleet is closed, or a sync `Fleet` is called from its own
                progress callback.
        """
        return await self._portal.run(
            self._core.each_many(
                task_instances_of,
                lambda tis: tis.logs(
                    dag_id, run_id, task_id, try_number=try_number, map_index=map_index
                ),
            )
        )

    async def clear(
        self,
        dag_id: str,
        run_id: str,
        *,
        task_ids: Sequence[str] | None = None,
        only_failed: bool = False,
        include_downstream: bool = False,
        reset_dag_run: bool = True,
        dry_run: bool = True,
    ) -> FleetResult[ClearResult]:
        """Clear chosen task instances of the run on every server; a dry run (default) only
        lists them.

        Args:
            dag_id: The run's DAG.
            run_id: The run.
            task_ids: Only these tasks; None: every task of the run.
            only_failed: Only failed and upstream-failed instances.
            include_downstream: Also the tasks downstream of the chosen ones.
            reset_dag_run: Put a finished run back to be scheduled.
            dry_run: True (default) lists what would be cleared and changes nothing.

        Returns:
            One `ClearResult` per server that has the run (`UnsupportedOperation` before
            Airflow 2.4).

        Raises:
            InvalidArgument: An argument no server takes, before anything is sent.
            RuntimeError: The fleet is closed, or a sync `Fleet` is called from its own
                progress callback.
        """
        return await self._portal.run(
            self._core.each(
                task_instances_of,
                lambda tis: tis.clear(
                    dag_id,
                    run_id,
                    task_ids=task_ids,
                    only_failed=only_failed,
                    include_downstream=include_downstream,
                    reset_dag_run=reset_dag_run,
                    dry_run=dry_run,
                ),
                label=stamp_clear,
            )
        )


class AsyncRunStream:
    """What `fleet.dag_runs.iter()` returns: the runs of every server, page round by round.

    Iterate it for the runs. `outcomes` holds each server's outcome once it has finished
    (all of them when the stream is exhausted), so errors are never lost while the healthy
    servers stream on. Getting the next run raises RuntimeError when the fleet is closed.

    Args:
        rounds: The listing's page rounds (`dag_runs.iter()` builds the stream).
        portal: Where the fleet's coroutines run.
    """

    def __init__(self, rounds: Rounds, portal: AsyncPortal) -> None:
        self._rounds = rounds
        self._portal = portal

    @property
    def outcomes(self) -> dict[str, ServerOutcome]:
        """Server name -> its outcome, for the servers that have finished."""
        return self._rounds.outcomes

    @property
    def errors(self) -> dict[str, AirflowBridgeError]:
        """Server name -> its typed error, for the finished servers that failed."""
        return self._rounds.errors

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> DagRun:
        run = await self._portal.run(self._rounds.next())
        if run is None:
            raise StopAsyncIteration
        return run
