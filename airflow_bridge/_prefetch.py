"""Offset pages fetched ahead, several at once, once the first page has told the total.

An offset walk's later pages do not depend on one another: after the first page has given
`total_entries` and the number of runs the server really serves per request (servers cap a
page at their `maximum_page_limit`), the pages at the next offsets can all be asked for at
once. `batch` is the plan of one such step: a `Parallel` of page plans (each retried on its
own), whose pages are joined in offset order into one `Page`, so the `Pager` drops repeats,
filters and counts the limit exactly as it does for one page. The join stops after the first
short page (the end, or runs deleted meanwhile), and the walk goes on from what came back,
so the runs yielded are the sequential walk's. Batches grow 2, 4, 8 ... pages up to `AHEAD`
(a caller that stops early has not made the server answer many pages for nothing); the
client's `max_concurrency` still bounds the requests in flight. Keyset pages cannot be
fetched ahead: each needs the cursor the previous one returned.

The drivers run a `Parallel` with `AsyncConcurrent` / `Concurrent` (anyio tasks, or one
thread per plan on the sync side), which wait for every plan and raise the first failure in
order, so a failed batch leaves the walk where it was and is asked for again.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import anyio

from airflow_bridge import _plans as plans
from airflow_bridge.adapters import Adapter
from airflow_bridge.models import Page, RunQuery
from airflow_bridge.retries import DEFAULT_MAX_CONCURRENCY

T = TypeVar("T")
#: The most pages one batch asks for: as many as the client's default concurrency limit.
AHEAD = DEFAULT_MAX_CONCURRENCY


def batch(
    retrying: plans.Retrying,
    adapter: Adapter,
    query: RunQuery,
    *,
    offset: int,
    step: int,
    total: int,
    pages: int,
    wanted: int | None,
) -> plans.Plan[Page]:
    """The pages at `offset`, `offset + step`, ... (at most `pages`, none at or past `total`,
    no more than `wanted` runs need) asked for together and joined in order.

    Args:
        offset: The first offset not yet listed.
        step: Runs the server served for the first page (its page size, after any cap).
        total: The last page's `total_entries`.
        pages: The most pages to ask for.
        wanted: Runs still to yield (the limit), or None for all.
    """

    def _size(before: int) -> int:  # the last page asks only for the runs still wanted
        return step if wanted is None else min(step, wanted - before)

    stop = total if wanted is None else min(total, offset + _ceil(wanted, step) * step)
    offsets = range(offset, stop, step)[:pages]
    step_plan = plans.Parallel(
        tuple(
            plans.page(retrying, adapter, query, offset=start, limit=_size(start - offset))
            for start in offsets
        )
    )
    yield step_plan
    fetched: Sequence[Page] = step_plan.results
    joined: list[Page] = []
    for result in fetched:
        joined.append(result)
        if len(result.runs) < step:
            break
    return Page(
        runs=tuple(run for result in joined for run in result.runs),
        total_entries=joined[-1].total_entries,
    )


def _ceil(count: int, size: int) -> int:
    return -(-count // size)


async def _caught(call: Callable[[], Coroutine[Any, Any, T]]) -> T | Exception:
    try:
        return await call()
    except Exception as error:  # kept, so the others finish and the first in order is raised
        return error


class AsyncConcurrent:
    """Run coroutine functions as concurrent tasks (asyncio or trio)."""

    @staticmethod
    async def run(calls: Sequence[Callable[[], Coroutine[Any, Any, T]]]) -> list[T]:
        """Every call's result in order, once all are done; the first failure (in order) is
        raised after the others have finished."""
        outcomes: dict[int, T | Exception] = {}

        async def one(index: int) -> None:
            outcomes[index] = await _caught(calls[index])

        async with anyio.create_task_group() as tasks:
            for index in range(len(calls)):
                tasks.start_soon(one, index)
        return _results([outcomes[index] for index in range(len(calls))])


class Concurrent:
    """Run functions on threads of their own (the sync twin of `AsyncConcurrent`)."""

    @staticmethod
    def run(calls: Sequence[Callable[[], T]]) -> list[T]:
        """Every call's result in order, once all are done; the first failure (in order) is
        raised after the others have finished."""
        if len(calls) <= 1:
            return [call() for call in calls]
        with ThreadPoolExecutor(len(calls), thread_name_prefix="airflow_bridge-page") as pool:
            futures = [pool.submit(call) for call in calls]
        outcomes: list[T | BaseException] = []
        for future in futures:
            error = future.exception()
            outcomes.append(future.result() if error is None else error)
        return _results(outcomes)


def _results(outcomes: Sequence[T | BaseException]) -> list[T]:
    results: list[T] = []
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
        results.append(outcome)
    return results
