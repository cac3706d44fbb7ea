"""`client.dag_runs`: every DagRun operation, once for sync and once for async.

Each method checks its arguments, asks the client for the detected adapter, and has the
client drive the operation's plan (see `_plans`); nothing here knows a generation.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from airflow_bridge import _arguments as arguments
from airflow_bridge import _plans as plans
from airflow_bridge.adapters import Adapter, Reply, check_note
from airflow_bridge.errors import InvalidArgument
from airflow_bridge.models import AssetEvent, ClearResult, DagRun, DagRunState

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from airflow_bridge._client import AsyncClient, Client


class DagRuns:
    """`client.dag_runs`: every DagRun operation, the same on Airflow 2 and 3.

    Every method raises `InvalidArgument` (a ValueError and TypeError) before anything is
    sent, the version probe included, for an argument no server takes as meant: an id that is
    not a non-empty str, a conf that is not a mapping of JSON values, a non-bool flag, a
    naive or non-datetime date, an unknown state, run type or order_by field. Servers refuse
    these differently (Airflow 2.10.5: 400 or an empty list; 3.3.2: 422) or silently rewrite
    them (3.3.2 clears for real on `dry_run="no"`).
    """

    def __init__(self, client: Client) -> None:
        self._client = client

    def trigger(
        self,
        dag_id: str,
        *,
        run_id: str | None = None,
        logical_date: datetime | None = None,
        conf: Mapping[str, Any] | None = None,
        note: str | None = None,
        data_interval: tuple[datetime, datetime] | None = None,
    ) -> DagRun:
        """Start a run. Without logical_date the server picks one (or none, on Airflow 3).

        `conf` is a mapping of JSON values; `run_id` at most 250 characters. Raises
        `InvalidRunId` (a `BadRequest`, never retried) when the server refuses the run_id
        for its run id pattern: Airflow 2.10.5 answers a 500 page, mapped when the id fails
        Airflow's default pattern `^[A-Za-z0-9_.~:+-]+$`; 3.3.2 answers 400. Nothing is
        refused here for the pattern: a server may allow more.
        """
        _check_trigger(dag_id, run_id, logical_date, conf, note, data_interval)
        a = self._client._adapter()
        request = a.trigger(
            dag_id,
            run_id=run_id,
            logical_date=logical_date,
            conf=conf,
            note=note,
            data_interval=data_interval,
        )
        return self._client._run(plans.call(request, _triggered(a, run_id)))

    def get(self, dag_id: str, run_id: str) -> DagRun:
        _check_run(dag_id, run_id)
        a = self._client._adapter()
        return self._client._run(plans.call(a.get(dag_id, run_id), a.parse_run))

    def iter(
        self,
        dag_id: str = "~",
        *,
        limit: int | None = None,
        page_size: int = 100,
        **filters: Unpack[plans.RunFilters],
    ) -> Iterator[DagRun]:
        """Runs of one DAG (`~` = all DAGs, `dag_ids=[...]` = several), fetched lazily
        page by page; `limit=None` means all of them.

        `states` and `run_types` take enum members or names in any case; a run type may be
        either generation's name (`dataset_triggered` or `asset_triggered`). Unknown values
        are `InvalidArgument` before any request (Airflow 2.10.5 would list nothing, 3.3.2
        answer 422).

        Never yields a run twice. Airflow 3.2.2+ is walked by keyset cursor, so runs created
        or deleted meanwhile shift nothing; elsewhere by offset, where a run that comes again
        (runs created during a newest-first walk) is dropped. A run whose start or end date
        is null matches no bound on that date, on every generation.
        """
        arguments.paging(limit, page_size)
        pager = plans.Pager(plans.make_query(dag_id, filters), limit=limit, page_size=page_size)
        return self._walk(pager)

    def _walk(self, pager: plans.Pager) -> Iterator[DagRun]:
        a = self._client._adapter()
        while (plan := pager.next_page(a)) is not None:
            yield from pager.accept(self._client._run(plan))

    def list(
        self,
        dag_id: str = "~",
        *,
        limit: int | None = None,
        page_size: int = 100,
        **filters: Unpack[plans.RunFilters],
    ) -> builtins.list[DagRun]:
        """`iter()`, collected."""
        return [*self.iter(dag_id, limit=limit, page_size=page_size, **filters)]

    def count(self, dag_id: str = "~", **filters: Unpack[plans.RunFilters]) -> int:
        """How many runs match: the server's total from one small request, except with a
        start/end date bound on Airflow 3, whose list lets runs without that date through:
        then the matching runs are paged through (one request per 100) and counted."""
        query = plans.make_query(dag_id, filters)  # checked before detection
        a = self._client._adapter()
        return self._client._run(plans.count(a, query))

    def set_state(self, dag_id: str, run_id: str, state: DagRunState | str) -> DagRun:
        """Mark a run queued, success or failed (servers refuse `running`)."""
        return self.update(dag_id, run_id, state=state)

    def set_note(self, dag_id: str, run_id: str, note: str) -> DagRun:
        return self.update(dag_id, run_id, note=note)

    def update(
        self,
        dag_id: str,
        run_id: str,
        *,
        state: DagRunState | str | None = None,
        note: str | None = None,
    ) -> DagRun:
        """Set state and/or note: one PATCH on Airflow 3, two calls on Airflow 2.

        A note is at most 1000 characters (both generations' limit); `""` removes the note
        (it then reads as None). Raises InvalidArgument before anything is sent for a note
        that is too long or not a str, and PartialUpdate when Airflow 2's note call is
        refused after its state call was applied.
        """
        _check_update(dag_id, run_id, state, note)
        wire_state = None if state is None else plans.state_value(state)
        check_note(note)
        a = self._client._adapter()
        return self._client._run(plans.update(a, dag_id, run_id, state=wire_state, note=note))

    def clear(
        self, dag_id: str, run_id: str, *, dry_run: bool = True, only_failed: bool = False
    ) -> ClearResult:
        """Clear a run's task instances; a dry run (the default) only reports them."""
        _check_clear(dag_id, run_id, dry_run, only_failed)
        a = self._client._adapter()
        request = a.clear(dag_id, run_id, dry_run=dry_run, only_failed=only_failed)
        return self._client._run(
            plans.call(request, lambda reply: a.parse_clear(reply, dry_run=dry_run))
        )

    def delete(self, dag_id: str, run_id: str) -> None:
        _check_run(dag_id, run_id)
        a = self._client._adapter()
        self._client._run(plans.call(a.delete(dag_id, run_id), a.parse_empty))

    def upstream_events(self, dag_id: str, run_id: str) -> builtins.list[AssetEvent]:
        """The dataset (Airflow 2) or asset (Airflow 3) events that triggered the run."""
        _check_run(dag_id, run_id)
        a = self._client._adapter()
        return self._client._run(plans.call(a.upstream_events(dag_id, run_id), a.parse_events))

    def wait(
        self, dag_id: str, run_id: str, *, timeout: float = 600, interval: float = 5
    ) -> DagRun:
        """Poll until the run succeeds or fails; WaitTimeout after `timeout` seconds."""
        _check_run(dag_id, run_id)
        arguments.polling(timeout, interval)
        a = self._client._adapter()
        plan = plans.wait(a, dag_id, run_id, timeout=timeout, interval=interval)
        return self._client._run(plan)


class AsyncDagRuns:
    """`async_client.dag_runs`: `DagRuns`, awaited."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

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
        _check_trigger(dag_id, run_id, logical_date, conf, note, data_interval)
        a = await self._client._adapter()
        request = a.trigger(
            dag_id,
            run_id=run_id,
            logical_date=logical_date,
            conf=conf,
            note=note,
            data_interval=data_interval,
        )
        return await self._client._run(plans.call(request, _triggered(a, run_id)))

    async def get(self, dag_id: str, run_id: str) -> DagRun:
        _check_run(dag_id, run_id)
        a = await self._client._adapter()
        return await self._client._run(plans.call(a.get(dag_id, run_id), a.parse_run))

    def iter(
        self,
        dag_id: str = "~",
        *,
        limit: int | None = None,
        page_size: int = 100,
        **filters: Unpack[plans.RunFilters],
    ) -> AsyncIterator[DagRun]:
        """Use with `async for`; filters are checked at once, pages fetched lazily."""
        arguments.paging(limit, page_size)
        pager = plans.Pager(plans.make_query(dag_id, filters), limit=limit, page_size=page_size)
        return self._walk(pager)

    async def _walk(self, pager: plans.Pager) -> AsyncIterator[DagRun]:
        a = await self._client._adapter()
        while (plan := pager.next_page(a)) is not None:
            for run in pager.accept(await self._client._run(plan)):
                yield run

    async def list(
        self,
        dag_id: str = "~",
        *,
        limit: int | None = None,
        page_size: int = 100,
        **filters: Unpack[plans.RunFilters],
    ) -> builtins.list[DagRun]:
        return [run async for run in self.iter(dag_id, limit=limit, page_size=page_size, **filters)]

    async def count(self, dag_id: str = "~", **filters: Unpack[plans.RunFilters]) -> int:
        query = plans.make_query(dag_id, filters)
        a = await self._client._adapter()
        return await self._client._run(plans.count(a, query))

    async def set_state(self, dag_id: str, run_id: str, state: DagRunState | str) -> DagRun:
        return await self.update(dag_id, run_id, state=state)

    async def set_note(self, dag_id: str, run_id: str, note: str) -> DagRun:
        return await self.update(dag_id, run_id, note=note)

    async def update(
        self,
        dag_id: str,
        run_id: str,
        *,
        state: DagRunState | str | None = None,
        note: str | None = None,
    ) -> DagRun:
        _check_update(dag_id, run_id, state, note)
        wire_state = None if state is None else plans.state_value(state)
        check_note(note)
        a = await self._client._adapter()
        return await self._client._run(plans.update(a, dag_id, run_id, state=wire_state, note=note))

    async def clear(
        self, dag_id: str, run_id: str, *, dry_run: bool = True, only_failed: bool = False
    ) -> ClearResult:
        _check_clear(dag_id, run_id, dry_run, only_failed)
        a = await self._client._adapter()
        request = a.clear(dag_id, run_id, dry_run=dry_run, only_failed=only_failed)
        return await self._client._run(
            plans.call(request, lambda reply: a.parse_clear(reply, dry_run=dry_run))
        )

    async def delete(self, dag_id: str, run_id: str) -> None:
        _check_run(dag_id, run_id)
        a = await self._client._adapter()
        await self._client._run(plans.call(a.delete(dag_id, run_id), a.parse_empty))

    async def upstream_events(self, dag_id: str, run_id: str) -> builtins.list[AssetEvent]:
        _check_run(dag_id, run_id)
        a = await self._client._adapter()
        return await self._client._run(
            plans.call(a.upstream_events(dag_id, run_id), a.parse_events)
        )

    async def wait(
        self, dag_id: str, run_id: str, *, timeout: float = 600, interval: float = 5
    ) -> DagRun:
        _check_run(dag_id, run_id)
        arguments.polling(timeout, interval)
        a = await self._client._adapter()
        plan = plans.wait(a, dag_id, run_id, timeout=timeout, interval=interval)
        return await self._client._run(plan)


def _check_trigger(
    dag_id: str,
    run_id: str | None,
    logical_date: datetime | None,
    conf: Mapping[str, Any] | None,
    note: str | None,
    data_interval: tuple[datetime, datetime] | None,
) -> None:
    """Everything trigger() can refuse before detection (see `_arguments`)."""
    arguments.identifier("dag_id", dag_id)
    arguments.optional_run_id(run_id)
    arguments.conf(conf)
    check_note(note)
    start, end = None, None
    if data_interval is not None:
        if not isinstance(data_interval, tuple | list) or len(data_interval) != 2:
            raise InvalidArgument("data_interval must be a (start, end) pair of aware datetimes")
        start, end = data_interval
    plans.check_dates(
        {"logical_date": logical_date, "data_interval start": start, "data_interval end": end}
    )


def _check_run(dag_id: str, run_id: str) -> None:
    arguments.identifier("dag_id", dag_id)
    arguments.identifier("run_id", run_id)


def _check_update(dag_id: str, run_id: str, state: object, note: object) -> None:
    _check_run(dag_id, run_id)
    if state is None and note is None:
        raise InvalidArgument("update() needs state=, note= or both")


def _check_clear(dag_id: str, run_id: str, dry_run: bool, only_failed: bool) -> None:
    _check_run(dag_id, run_id)
    arguments.flag("dry_run", dry_run)
    arguments.flag("only_failed", only_failed)


def _triggered(adapter: Adapter, run_id: str | None) -> Callable[[Reply], DagRun]:
    """trigger()'s reply parser: a refused run_id is InvalidRunId on every generation."""
    return lambda reply: adapter.parse_trigger(reply, run_id=run_id)
