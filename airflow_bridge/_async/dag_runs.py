"""`client.dag_runs`: every DagRun operation, written once (the sync twin is generated).

Each method checks its arguments (`_dag_runs`), asks the driver for the detected adapter, and
has the driver run the operation's plan (`_plans`); nothing here knows a generation.
"""

from __future__ import annotations

import builtins
from collections import deque
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from airflow_bridge import _arguments as arguments
from airflow_bridge import _dag_runs as checks
from airflow_bridge import _plans as plans
from airflow_bridge._async.tasks import AsyncTaskInstances
from airflow_bridge.errors import AirflowBridgeError, RunFailed
from airflow_bridge.models import AssetEvent, ClearResult, DagRun, DagRunState
from airflow_bridge.retries import PartialRuns

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from airflow_bridge._async.driver import AsyncDriver
    from airflow_bridge.types import RunFilters


class AsyncDagRuns:
    """`client.dag_runs` of an `AsyncClient`: every DagRun operation, the same on Airflow 2
    and 3.

    Every method raises `InvalidArgument` (a ValueError and TypeError) before anything is
    sent, the version probe included, for an argument no server takes as meant: an id that is
    not a non-empty str, a conf that is not a mapping of JSON values, a non-bool flag, a
    naive or non-datetime date, an unknown state, run type or order_by field. Servers refuse
    these differently (Airflow 2.10.5: 400 or an empty list; 3.3.2: 422) or silently rewrite
    them (3.3.2 clears for real on `dry_run="no"`). `UnsupportedOperation` is raised, also
    before sending, when the detected release lacks an operation, argument or filter (see
    `ServerInfo.supports`).

    Args:
        driver: The client's plan driver; the client makes this object, use
            `client.dag_runs` rather than building one.
    """

    def __init__(self, driver: AsyncDriver) -> None:
        self._driver = driver

    async def trigger(
        self,
        dag_id: str,
        *,
        run_id: str | None = None,
        logical_date: datetime | None = None,
        conf: Mapping[str, Any] | None = None,
        note: str | None = None,
        data_interval: tuple[datetime, datetime] | None = None,
    ) -> DagRun:
        """Start a run of a DAG.

        Args:
            dag_id: The DAG to run.
            run_id: At most 250 characters; None (the default) makes one here, in the form
                Airflow gives a manual run plus a random suffix
                (`manual__2026-11-29T13:45:18.123456+00:00_9f86d081884c7d65`, see
                `new_run_id`), so the trigger is safe to resend.
            logical_date: An aware datetime; None lets the server pick one (now on Airflow 2,
                no logical date at all on Airflow 3).
            conf: The run's configuration: a mapping of JSON values with str keys.
            note: At most 1000 characters (Airflow 2.5+ and 3; the `note` capability).
            data_interval: A (start, end) pair of aware datetimes (Airflow 2.9+ and 3; the
                `data_interval` capability).

        Returns:
            The new run, as the server created it. When the answer to a first attempt was
            lost and the resend is answered 409, the run is fetched: if its dag_id,
            logical date (when one was given) and conf are what was sent, it is returned as
            the success it was.

        Raises:
            InvalidArgument: Before anything is sent, for an argument no server takes.
            UnsupportedOperation: Before anything is sent, for `note` or `data_interval` on a
                release without them.
            InvalidRunId: The server refused `run_id` for its run id pattern (a `BadRequest`,
                never retried): Airflow 2.10.5 answers a 500 page, mapped when the id fails
                Airflow's default pattern `^[A-Za-z0-9_.~:+-]+$`; 3.3.2 answers 400.
                Nothing is refused here for the pattern: a server may allow more.
            Conflict: The DAG has a run with this run_id or logical date already.
            NotFound: No such DAG.
            AirflowBridgeError: Any other refusal (`ApiError`), no answer
                (`TransportError`), or a server that could not be detected on first use
                (`VersionDetectionError`).
        """
        checks.check_trigger(dag_id, run_id, logical_date, conf, note, data_interval)
        run_id = run_id if run_id is not None else checks.new_run_id()
        adapter = await self._driver.adapter()
        request = adapter.trigger(
            dag_id,
            run_id=run_id,
            logical_date=logical_date,
            conf=conf,
            note=note,
            data_interval=data_interval,
        )
        plan = plans.trigger(
            self._driver.retrying("trigger"),
            adapter,
            request,
            dag_id=dag_id,
            run_id=run_id,
            logical_date=logical_date,
            conf=conf,
        )
        return await self._driver.run(plan)

    async def get(self, dag_id: str, run_id: str) -> DagRun:
        """One run.

        Args:
            dag_id: The run's DAG.
            run_id: The run.

        Returns:
            The run as the server has it now.

        Raises:
            InvalidArgument: Before anything is sent, for an empty or non-str id.
            NotFound: No such DAG or run.
            AirflowBridgeError: Any other refusal (`ApiError`), no answer
                (`TransportError`), or a server that could not be detected on first use
                (`VersionDetectionError`).
        """
        checks.check_run(dag_id, run_id)
        adapter = await self._driver.adapter()
        return await self._driver.run(
            plans.one_request(
                self._driver.retrying("get"), adapter.get(dag_id, run_id), adapter.parse_run
            )
        )

    def iter(
        self,
        dag_id: str = "~",
        *,
        limit: int | None = None,
        page_size: int = 100,
        **filters: Unpack[RunFilters],
    ) -> AsyncRunIterator:
        """Runs of one DAG, of every DAG, or of several, fetched lazily page by page.

        The filters are checked at once; the pages are fetched as the runs are consumed.
        Never yields a run twice. Airflow 3.2.2+ is walked by keyset cursor, so runs created
        or deleted meanwhile shift nothing; elsewhere by offset, where a run that comes again
        (runs created during a newest-first walk) is dropped. A run whose start or end date
        is null matches no bound on that date, on every generation. When a page fails
        (after the retries), the error is raised from the iterator, which stays usable:
        iterating it again asks for the failed page again and goes on where it stopped,
        yielding no run twice.

        Args:
            dag_id: The DAG; `"~"` (the default) means every DAG. Leave it `"~"` when
                giving `dag_ids=`.
            limit: The most runs to yield; None (the default) means all of them.
            page_size: Runs asked for per request, at least 1 (default 100); servers cap it
                at their `maximum_page_limit`.
            **filters: See `RunFilters`. `states` and `run_types` take enum members or names
                in any case; a run type may be either generation's name
                (`dataset_triggered` or `asset_triggered`). `dag_ids=[...]` lists runs of
                several DAGs. An empty `dag_ids`, `states` or `run_types` matches no run:
                nothing is listed and no list request is sent. `order_by` takes
                `models.ORDER_FIELDS` names, "-" first for descending; `conf` is refused
                (Airflow 2 and 3 order it differently).

        Returns:
            An `AsyncRunIterator` of the matching runs, in the server's (or `order_by`'s)
            order; resumable after an error.

        Raises:
            InvalidArgument: At once, before anything is sent, for a bad limit, page size or
                filter (an unknown state or run type would make Airflow 2.10.5 list nothing
                and 3.3.2 answer 422), `order_by` `conf`, or a `dag_id` other than `"~"`
                given with `dag_ids=`.
            UnsupportedOperation: While iterating, before a request, for a filter the
                server's release lacks.
            NotFound: While iterating, for an unknown `dag_id`.
            AirflowBridgeError: While iterating: any other refusal (`ApiError`), no answer
                (`TransportError`), or a server that could not be detected
                (`VersionDetectionError`).
        """
        return AsyncRunIterator(self._driver, checks.pager(dag_id, filters, limit, page_size))

    async def list(
        self,
        dag_id: str = "~",
        *,
        limit: int | None = None,
        page_size: int = 100,
        **filters: Unpack[RunFilters],
    ) -> builtins.list[DagRun]:
        """`iter()`, collected into a list.

        Nothing received is lost when a page fails (after the retries): the error raised
        carries the runs received so far as `error.partial` (a `PartialRuns`, a list of
        `DagRun`), and `error.partial.rest` is the listing's iterator positioned after
        them, so the listing can be finished later without asking for those runs again.

        Args:
            dag_id: The DAG; `"~"` (the default) means every DAG; leave it so with
                `dag_ids=`.
            limit: The most runs to return; None (the default) means all of them.
            page_size: Runs asked for per request, at least 1 (default 100).
            **filters: See `RunFilters` and `iter()`.

        Returns:
            The matching runs, each once.

        Raises:
            InvalidArgument: Before anything is sent, for a bad limit, page size or filter
                (see `iter()`).
            UnsupportedOperation: Before a request, for a filter the release lacks.
            NotFound: An unknown `dag_id`.
            AirflowBridgeError: Any other refusal (`ApiError`), no answer
                (`TransportError`), or a server that could not be detected on first use
                (`VersionDetectionError`); each with `partial`, as above.
        """
        runs = self.iter(dag_id, limit=limit, page_size=page_size, **filters)
        received: builtins.list[DagRun] = []
        try:
            async for run in runs:
                received.append(run)
        except AirflowBridgeError as error:
            vars(error)["partial"] = PartialRuns(received, runs)  # errors declare no field
            raise
        return received

    async def count(self, dag_id: str = "~", **filters: Unpack[RunFilters]) -> int:
        """How many runs match.

        The server's total from one small request, except with a start/end date bound on
        Airflow 3, whose list lets runs without that date through: then the matching runs
        are paged through (one request per 100) and counted. An empty `dag_ids`, `states`
        or `run_types` counts 0 without a request.

        Args:
            dag_id: The DAG; `"~"` (the default) means every DAG; leave it so with
                `dag_ids=`.
            **filters: See `RunFilters` and `iter()`.

        Returns:
            The number of matching runs.

        Raises:
            InvalidArgument: Before anything is sent, for a bad filter, or a `dag_id` other
                than `"~"` given with `dag_ids=`.
            UnsupportedOperation: Before a request, for a filter the release lacks.
            NotFound: An unknown `dag_id`.
            AirflowBridgeError: Any other refusal (`ApiError`), no answer
                (`TransportError`), or a server that could not be detected on first use
                (`VersionDetectionError`).
        """
        query, nothing = checks.check_listing(dag_id, filters)  # before detection
        if nothing:
            return 0
        adapter = await self._driver.adapter()
        return await self._driver.run(plans.count(self._driver.retrying("count"), adapter, query))

    async def set_state(self, dag_id: str, run_id: str, state: DagRunState | str) -> DagRun:
        """Mark a run queued, success or failed: `update(state=...)`.

        Args:
            dag_id: The run's DAG.
            run_id: The run.
            state: `queued`, `success` or `failed` (a `DagRunState` or its name in any case);
                servers refuse `running`.

        Returns:
            The run after the change.

        Raises:
            InvalidArgument: Before anything is sent, for a state that cannot be set.
            UnsupportedOperation: Before anything is sent, on a release that cannot set it.
            NotFound: No such DAG or run.
            AirflowBridgeError: Any other refusal (`ApiError`), no answer
                (`TransportError`), or a server that could not be detected on first use
                (`VersionDetectionError`).
        """
        return await self.update(dag_id, run_id, state=state)

    async def set_note(self, dag_id: str, run_id: str, note: str) -> DagRun:
        """Set a run's note: `update(note=...)`.

        Args:
            dag_id: The run's DAG.
            run_id: The run.
            note: At most 1000 characters; `""` removes the note (it then reads as None).

        Returns:
            The run after the change.

        Raises:
            InvalidArgument: Before anything is sent, for a note too long or not a str.
            UnsupportedOperation: Before anything is sent, on a release without notes.
            NotFound: No such DAG or run.
            AirflowBridgeError: Any other refusal (`ApiError`), no answer
                (`TransportError`), or a server that could not be detected on first use
                (`VersionDetectionError`).
        """
        return await self.update(dag_id, run_id, note=note)

    async def update(
        self,
        dag_id: str,
        run_id: str,
        *,
        state: DagRunState | str | None = None,
        note: str | None = None,
    ) -> DagRun:
        """Set a run's state, note, or both: one PATCH on Airflow 3, two calls on Airflow 2.

        Args:
            dag_id: The run's DAG.
            run_id: The run.
            state: `queued`, `success` or `failed` (any case, or a `DagRunState`); None
                leaves the state alone.
            note: At most 1000 characters (both generations' limit); `""` removes the note
                (it then reads as None); None leaves the note alone.

        Returns:
            The run after the change.

        Raises:
            InvalidArgument: Before anything is sent: neither state nor note, a state that
                cannot be set, a note too long or not a str.
            UnsupportedOperation: Before anything is sent, on a release that cannot do it.
            PartialUpdate: Airflow 2's note call was refused after its state call was
                applied (it says what was and was not).
            NotFound: No such DAG or run.
            AirflowBridgeError: Any other refusal (`ApiError`), no answer
                (`TransportError`), or a server that could not be detected on first use
                (`VersionDetectionError`).
        """
        wire_state = checks.check_update(dag_id, run_id, state, note)
        adapter = await self._driver.adapter()
        retrying = self._driver.retrying("update")
        return await self._driver.run(
            plans.update(retrying, adapter, dag_id, run_id, state=wire_state, note=note)
        )

    async def clear(
        self, dag_id: str, run_id: str, *, dry_run: bool = True, only_failed: bool = False
    ) -> ClearResult:
        """Clear a run's task instances so the scheduler runs them again.

        Args:
            dag_id: The run's DAG.
            run_id: The run.
            dry_run: True (the default) only reports what would be cleared.
            only_failed: Clear only the failed task instances (default False; Airflow 3
                only, the `only_failed` capability).

        Returns:
            The task instances cleared (or that would be), and the run after a real clear.

        Raises:
            InvalidArgument: Before anything is sent, for a non-bool flag (Airflow 3.3.2
                would clear for real on `dry_run="no"`).
            UnsupportedOperation: Before anything is sent, on a release that cannot clear.
            NotFound: No such DAG or run.
            AirflowBridgeError: Any other refusal (`ApiError`), no answer
                (`TransportError`), or a server that could not be detected on first use
                (`VersionDetectionError`).
        """
        checks.check_clear(dag_id, run_id, dry_run, only_failed)
        adapter = await self._driver.adapter()
        request = adapter.clear(dag_id, run_id, dry_run=dry_run, only_failed=only_failed)
        cleared = checks.cleared(adapter, dry_run)
        return await self._driver.run(
            plans.one_request(self._driver.retrying("clear"), request, cleared)
        )

    async def delete(self, dag_id: str, run_id: str) -> None:
        """Delete a run (its task instances go with it).

        Args:
            dag_id: The run's DAG.
            run_id: The run.

        A 404 answered to a resend (the first attempt's answer was lost, or was a 502, 503
        or 504) means that attempt deleted the run: it is success, not NotFound.

        Raises:
            InvalidArgument: Before anything is sent, for an empty or non-str id.
            NotFound: No such DAG or run.
            AirflowBridgeError: Any other refusal (`ApiError`), no answer
                (`TransportError`), or a server that could not be detected on first use
                (`VersionDetectionError`).
        """
        checks.check_run(dag_id, run_id)
        adapter = await self._driver.adapter()
        await self._driver.run(
            plans.delete(self._driver.retrying("delete"), adapter, dag_id, run_id)
        )

    async def upstream_events(self, dag_id: str, run_id: str) -> builtins.list[AssetEvent]:
        """The dataset (Airflow 2) or asset (Airflow 3) events that triggered a run.

        Args:
            dag_id: The run's DAG.
            run_id: The run.

        Returns:
            The events, empty for a run no event triggered.

        Raises:
            InvalidArgument: Before anything is sent, for an empty or non-str id.
            UnsupportedOperation: Before anything is sent, on a release without the
                endpoint.
            NotFound: No such DAG or run.
            AirflowBridgeError: Any other refusal (`ApiError`), no answer
                (`TransportError`), or a server that could not be detected on first use
                (`VersionDetectionError`).
        """
        checks.check_run(dag_id, run_id)
        adapter = await self._driver.adapter()
        request = adapter.upstream_events(dag_id, run_id)
        return await self._driver.run(
            plans.one_request(
                self._driver.retrying("upstream_events"), request, adapter.parse_events
            )
        )

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
    ) -> DagRun:
        """Poll a run until it succeeds or fails (works on every release).

        The pause between polls starts at `interval` and grows by half after each poll up
        to `max_interval`, so a long run costs the server few requests. With
        `raise_on_failure`, a failed run raises `RunFailed` carrying the run and its failed
        task instances (one more request: `task_instances.failed()`).

        Args:
            dag_id: The run's DAG.
            run_id: The run.
            timeout: Seconds to keep polling (default 600).
            interval: Seconds before the second poll, more than 0 (default 5).
            max_interval: The longest pause between polls in seconds (default 60; a value
                below `interval` keeps polls `interval` apart).
            deadline: An aware datetime to stop at, if that comes before `timeout` runs
                out (None: only `timeout`).
            raise_on_failure: Raise `RunFailed` when the run ends failed (default False:
                return it).

        Returns:
            The run in its final state (`success`, or `failed` without `raise_on_failure`).

        Raises:
            InvalidArgument: Before anything is sent, for a bad id, timeout, interval,
                max_interval or deadline (not an aware datetime).
            WaitTimeout: The run was not finished after `timeout` seconds (a
                `TimeoutError`; `.last` is the last run seen).
            RunFailed: With `raise_on_failure`, the run failed (`.run`, `.failed_tasks`).
            NotFound: No such DAG or run.
            AirflowBridgeError: Any other refusal (`ApiError`), no answer
                (`TransportError`), or a server that could not be detected on first use
                (`VersionDetectionError`).
        """
        timeout = checks.check_wait(dag_id, run_id, timeout, interval, max_interval, deadline)
        arguments.flag("raise_on_failure", raise_on_failure)
        adapter = await self._driver.adapter()
        polling = plans.wait(
            self._driver.retrying("wait"),
            adapter,
            dag_id,
            run_id,
            timeout=timeout,
            interval=interval,
            max_interval=max_interval,
        )
        run = await self._driver.run(polling)
        if raise_on_failure and run.state == DagRunState.FAILED:
            failed = await AsyncTaskInstances(self._driver).failed(dag_id, run_id)
            names = ", ".join(ti.task_id for ti in failed) or "none"
            raise RunFailed(
                f"{dag_id}/{run_id} failed; failed tasks: {names}",
                run=run,
                failed_tasks=tuple(failed),
            )
        return run


class AsyncRunIterator:
    """The runs of an `iter()` listing, fetched a page at a time as they are consumed.

    A failed page leaves the iterator as it was: the error is raised, and iterating again
    sends that page's request again and continues, so nothing is lost or repeated (on offset
    pages, runs created or deleted meanwhile can still shift what the next page holds; keyset
    pages are unaffected). `yielded` counts the runs handed out so far.

    Args:
        driver: The client's plan driver.
        pager: The listing's page walker (its filters already checked).

    Raises:
        AirflowBridgeError: While iterating, what `iter()` names (the iterator stays
            usable).
    """

    def __init__(self, driver: AsyncDriver, pager: plans.Pager) -> None:
        self._driver = driver
        self._pager = pager
        self._ready: deque[DagRun] = deque()
        self.yielded = 0

    def __aiter__(self) -> AsyncRunIterator:
        return self

    async def __anext__(self) -> DagRun:
        while not self._ready:
            adapter = await self._driver.adapter()
            plan = self._pager.next_page(self._driver.retrying("list"), adapter)
            if plan is None:
                raise StopAsyncIteration
            self._ready.extend(self._pager.accept(await self._driver.run(plan)))
        self.yielded += 1
        return self._ready.popleft()
