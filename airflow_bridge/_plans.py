"""The facade's logic, written once for sync and async as generator "plans".

A plan yields steps (an `ApiRequest` to send, or a `Sleep`) and receives the `Reply` to each;
its return value is the operation's result. `Client` and `AsyncClient` each drive plans with
their own I/O, so detection, paging, two-call updates and polling exist in one place only,
and nothing here knows which Airflow generation is on the other side: the adapter does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from airflow_bridge.adapters import GENERATIONS, Adapter, ApiRequest, Reply, format_datetime
from airflow_bridge.errors import VersionDetectionError, WaitTimeout
from airflow_bridge.models import DATE_FILTERS, DagRun, DagRunState, Page, RunQuery, RunType

if TYPE_CHECKING:
    from typing_extensions import TypedDict
else:
    from typing import TypedDict

T = TypeVar("T")


@attrs.frozen
class Sleep:
    """A pause between polls; the driver sleeps the way its side (sync or async) should."""

    seconds: float


Step = ApiRequest | Sleep
Plan = Generator[Step, Reply | None, T]


def _reply(value: Reply | None) -> Reply:
    assert value is not None, "a driver answered a request step without a reply"
    return value


def call(request: ApiRequest, parse: Callable[[Reply], T]) -> Plan[T]:
    """The plan of most operations: one request, one parsed answer."""
    return parse(_reply((yield request)))


def detect(base_url: str) -> Plan[Adapter]:
    """Probe each generation's unauthenticated version endpoint, newest first."""
    answers = []
    for generation in GENERATIONS:
        reply = _reply((yield generation.probe()))
        info = generation.parse_probe(reply, base_url)
        if info is not None:
            return generation(info)
        answers.append(f"{reply.method} {reply.url} answered {reply.status} {_gist(reply)}")
    raise VersionDetectionError(
        f"{base_url} does not look like an Airflow 2 or 3 API server ("
        + "; ".join(answers)
        + "). Check the URL (and any proxy prefix), or pass api='v1' or api='v2'."
    )


def _gist(reply: Reply) -> str:
    kind = reply.headers.get("content-type", "no content type").split(";")[0]
    return f"({kind}: {reply.text()[:80]!r})"


def update(
    adapter: Adapter, dag_id: str, run_id: str, *, state: str | None, note: str | None
) -> Plan[DagRun]:
    """Set state and/or note: one request on some generations, several on others."""
    if state is None and note is None:
        raise ValueError("update() needs state=, note= or both")
    requests = adapter.update(dag_id, run_id, state=state, note=note)
    run: DagRun | None = None
    for request in requests:
        run = adapter.parse_run(_reply((yield request)))
    assert run is not None
    return run


def page(adapter: Adapter, query: RunQuery, *, offset: int, limit: int) -> Plan[Page]:
    """One page; an empty first page of a named DAG is checked so unknown DAGs are NotFound
    on every generation (some list an unknown DAG as an empty 200)."""
    result = adapter.parse_page(
        _reply((yield adapter.list_runs(query, offset=offset, limit=limit)))
    )
    if offset == 0 and not result.runs and query.dag_ids is None:
        confirm = adapter.confirm_dag(query.dag_id)
        if confirm is not None:
            adapter.parse_empty(_reply((yield confirm)))
    return result


def count(adapter: Adapter, query: RunQuery) -> Plan[int]:
    return (yield from page(adapter, query, offset=0, limit=1)).total_entries


def wait(
    adapter: Adapter,
    dag_id: str,
    run_id: str,
    *,
    timeout: float,
    interval: float,
    clock: Callable[[], float] = time.monotonic,
) -> Plan[DagRun]:
    """Poll until the run is success or failed; WaitTimeout (with the last run seen) after
    `timeout` seconds. Polling works on every server version."""
    if interval <= 0:
        raise ValueError("interval must be a positive number of seconds")
    deadline = clock() + timeout
    while True:
        run = adapter.parse_run(_reply((yield adapter.get(dag_id, run_id))))
        if run.is_finished:
            return run
        if clock() + interval > deadline:
            raise WaitTimeout(
                f"{dag_id}/{run_id} is still {_value(run.state)} after {timeout:g} s",
                last=run,
            )
        yield Sleep(interval)


class Pager:
    """Walks pages of a listing by what the server actually returned.

    Servers silently cap a page (maximum_page_limit) and default differently (100 on v1, 50 on
    v2), so the next offset is what came back, the end is `total_entries`, and a limit of 0
    is never sent (v1 would answer a full default page).
    """

    def __init__(self, query: RunQuery, *, limit: int | None, page_size: int) -> None:
        if limit is not None and limit < 0:
            raise ValueError("limit must be None (all runs) or a number >= 0")
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self._query = query
        self._remaining = limit
        self._page_size = page_size
        self._offset = 0
        self._done = limit == 0 or query.dag_ids == ()

    def next_page(self, adapter: Adapter) -> Plan[Page] | None:
        """The plan for the next page, or None when the listing is complete."""
        if self._done:
            return None
        size = self._page_size
        if self._remaining is not None:
            size = min(size, self._remaining)
        return page(adapter, self._query, offset=self._offset, limit=size)

    def accept(self, result: Page) -> Sequence[DagRun]:
        runs = result.runs
        if self._remaining is not None:
            runs = runs[: self._remaining]
            self._remaining -= len(runs)
        self._offset += len(result.runs)
        self._done = not result.runs or self._offset >= result.total_entries or self._remaining == 0
        return runs


class RunFilters(TypedDict, total=False):
    """The filters `iter`, `list` and `count` accept (the same for both generations)."""

    dag_ids: Iterable[str] | None
    states: Iterable[DagRunState | str] | DagRunState | str | None
    run_types: Iterable[RunType | str] | RunType | str | None
    logical_date_gte: datetime | None
    logical_date_lte: datetime | None
    start_date_gte: datetime | None
    start_date_lte: datetime | None
    end_date_gte: datetime | None
    end_date_lte: datetime | None
    updated_at_gte: datetime | None
    updated_at_lte: datetime | None
    run_after_gte: datetime | None
    run_after_lte: datetime | None
    order_by: Sequence[str] | str | None
    run_id_pattern: str | None
    dag_id_pattern: str | None


_FILTER_NAMES = frozenset(RunFilters.__annotations__)


def make_query(dag_id: str, filters: RunFilters) -> RunQuery:
    """Normalize the user's filters; unknown names are a TypeError, like any bad keyword."""
    unknown = set(filters) - _FILTER_NAMES
    if unknown:
        raise TypeError(
            f"unknown filter(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(_FILTER_NAMES))}"
        )
    dag_ids = filters.get("dag_ids")
    if dag_ids is not None:
        dag_ids = (dag_ids,) if isinstance(dag_ids, str) else tuple(dag_ids)
    order_by = filters.get("order_by")
    loose: Mapping[str, Any] = filters  # the date filters, looked up by computed names
    check_dates({name: loose.get(name) for name in DATE_FILTERS})
    return RunQuery(
        dag_id=dag_id,
        dag_ids=dag_ids,
        states=_values(filters.get("states")),
        run_types=_values(filters.get("run_types")),
        dates={name: loose[name] for name in DATE_FILTERS if loose.get(name) is not None},
        order_by=(order_by,) if isinstance(order_by, str) else tuple(order_by or ()),
        run_id_pattern=filters.get("run_id_pattern"),
        dag_id_pattern=filters.get("dag_id_pattern"),
    )


def check_dates(dates: Mapping[str, datetime | None]) -> None:
    """Refuse naive datetimes up front, before even the version probe is sent."""
    for name, value in dates.items():
        if value is not None:
            format_datetime(name, value)


def _values(items: Iterable[Enum | str] | Enum | str | None) -> tuple[str, ...]:
    if items is None:
        return ()
    if isinstance(items, str | Enum):
        items = (items,)
    return tuple(_value(item) for item in items)


def _value(item: Enum | str | None) -> str:
    if isinstance(item, Enum):
        return str(item.value)
    return str(item)


def state_value(state: DagRunState | str) -> str:
    """A state argument as the wire wants it: a DagRunState or its string value."""
    return _value(state)
