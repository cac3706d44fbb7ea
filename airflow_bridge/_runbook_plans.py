"""What `client.dags` and `client.task_instances` share between sync and async: argument
checks (before anything is sent, the version probe included) and their plans.

Nothing here knows a generation: the adapters' `_dags` and `_task_instances` modules do.
Requests run under the retry rule of the existing operation they resemble: reads as "get"
and "list", pause/unpause as "update" (a PATCH of an absolute value), a clear as "clear".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from airflow_bridge import _arguments as arguments
from airflow_bridge import _plans as plans
from airflow_bridge.adapters import Adapter, ApiRequest, Reply
from airflow_bridge.adapters import _task_instances as tis
from airflow_bridge.adapters._dags import DagQuery
from airflow_bridge.errors import InvalidArgument
from airflow_bridge.models import LogChunk

T = TypeVar("T")
PAGE_SIZE = 100  # the largest page both generations serve

#: Task instance states of Airflow 2.10 and 3.3 (`TaskInstanceState`), for the states filter.
TI_STATES = (
    "removed",
    "scheduled",
    "queued",
    "running",
    "success",
    "restarting",
    "failed",
    "up_for_retry",
    "up_for_reschedule",
    "upstream_failed",
    "skipped",
    "deferred",
)


def dag_query(paused: object, tags: object, dag_id_pattern: object) -> DagQuery:
    if paused is not None and not isinstance(paused, bool):
        raise InvalidArgument(f"paused must be True, False or None, not {paused!r}")
    names = strings("tags", tags)
    pattern = arguments.optional_text("dag_id_pattern", dag_id_pattern)
    return DagQuery(paused=paused, tags=names, dag_id_pattern=pattern)


def ti_states(values: object) -> tuple[str, ...]:
    """Task instance states, any case; an unknown one is InvalidArgument before sending."""
    states = tuple(state.lower() for state in strings("states", values))
    unknown = [state for state in states if state not in TI_STATES]
    if unknown:
        raise InvalidArgument(
            f"unknown task instance state(s) {', '.join(unknown)}; use {', '.join(TI_STATES)}"
        )
    return states


def map_index(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < -1:
        raise InvalidArgument(f"map_index must be -1 (not mapped) or an index >= 0, not {value!r}")
    return value


def try_number(value: object) -> int | None:
    """None (the instance's latest try) or a try >= 1: both generations count from 1
    (2.10.5 answers "Try number 0 is invalid", 3.3.2 a 404)."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidArgument(f"try_number must be None (the latest try) or >= 1, not {value!r}")
    return value


def strings(name: str, values: object) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str) or not isinstance(values, Sequence | set | frozenset):
        raise InvalidArgument(f"{name} must be a list of strings, not {values!r}")
    items = tuple(values)
    for item in items:
        if not isinstance(item, str) or not item:
            raise InvalidArgument(f"{name} must hold non-empty strings, not {item!r}")
    return items


def read(
    retrying: plans.Retrying, request: ApiRequest, parse: Callable[[Reply], T]
) -> plans.Plan[T]:
    """One request, one parsed answer (`_plans.one_request`)."""
    return plans.one_request(retrying, request, parse)


class OffsetPager:
    """Walks an offset-paged listing (DAGs, a run's task instances): the next offset is what
    came back (servers cap pages silently), the end is `total_entries` or an empty page."""

    def __init__(self, *, limit: int | None, page_size: int = PAGE_SIZE) -> None:
        if limit is not None and (not isinstance(limit, int) or limit < 0):
            raise InvalidArgument("limit must be None (all) or an int >= 0")
        if not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1:
            raise InvalidArgument("page_size must be an int >= 1")
        self._remaining = limit
        self._page_size = page_size
        self.offset = 0
        self.done = limit == 0

    @property
    def size(self) -> int:
        """The page size to ask for next."""
        if self._remaining is None:
            return self._page_size
        return min(self._page_size, self._remaining)

    def accept(self, items: tuple[T, ...], total: int | None) -> tuple[T, ...]:
        self.offset += len(items)
        self.done = not items or (total is not None and self.offset >= total)
        if self._remaining is not None:
            items = items[: self._remaining]
            self._remaining -= len(items)
            self.done = self.done or self._remaining == 0
        return items


def log_chunk(
    retrying: plans.Retrying,
    adapter: Adapter,
    where: tuple[str, str, str],
    *,
    try_number: int,
    map_index: int,
    token: str | None,
    pause: float,
) -> plans.Plan[LogChunk]:
    """One chunk of a log, after `pause` seconds (a follow's poll interval) when > 0."""
    if pause > 0:
        yield plans.Sleep(pause)
    dag_id, run_id, task_id = where
    request = tis.logs(
        adapter, dag_id, run_id, task_id, try_number=try_number, map_index=map_index, token=token
    )
    return (yield from plans.one_request(retrying, request, lambda r: tis.parse_logs(adapter, r)))


class LogFollower:
    """Decides, chunk by chunk, whether a log walk goes on: until the server says the log
    ended (Airflow 2's token), gives no token to continue from (Airflow 3 once the task has
    finished), or, unless following, a chunk comes back empty."""

    def __init__(self, *, follow: bool) -> None:
        self.follow = follow
        self.token: str | None = None
        self.done = False
        self.pause = 0.0

    def accept(self, chunk: LogChunk, interval: float) -> None:
        self.pause = 0.0
        if chunk.end_of_log is True or chunk.token is None:
            self.done = True
        elif not chunk.records:
            self.done = not self.follow
            self.pause = interval
        self.token = chunk.token
