"""The fan-out engine: run one piece of work on many members at once, never losing results.

Every member's work runs in its own task, bounded by the fleet-wide slots and by the
member's own slots, under the member's deadline. A library error (`AirflowBridgeError`,
including a timeout) becomes that member's outcome; anything else is a bug in the caller's
arguments (the same for every server) or progress callback, so it is raised once, as it is,
after all tasks have ended.

The cyclic garbage collector is paused during a fan-out's burst (`GcPause`): a thousand
servers answering at once keep some 150,000 objects alive, and the collector's passes over
them (hundreds of young ones and a full one or two) cost about as much CPU as the
airflow_bridge code of the whole call. Paused, it looks at them once, afterwards.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import anyio

from airflow_bridge.errors import AirflowBridgeError

from ._members import Member
from ._result import ServerOutcome, ServerTimeout

T = TypeVar("T")
Progress = Callable[[ServerOutcome], None]

#: Objects a fan-out may leave for the garbage collector per member before it resumes the
#: collector (each request leaves about 40 in reference cycles: httpx's request, response and
#: stream objects; a 100-run page keeps about 500 alive).
GC_ALLOWANCE = 1_000


class _Collector:
    """The collector's state is process-wide, so pauses from several fleets and threads
    nest: the first records whether it was on, the last restores exactly that (a collector
    the application disabled stays disabled)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._resume = False

    def pause(self) -> None:
        with self._lock:
            if self._depth == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._depth += 1

    def resume(self) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0 and self._resume:
                gc.enable()


_COLLECTOR = _Collector()


class GcPause:
    """Pauses the cyclic garbage collector from now until `end()`, or until `check()` finds
    that more than `GC_ALLOWANCE` objects per member have been allocated (anywhere in the
    process) since it began, so a long listing runs with the collector on after its first
    pages and garbage can never pile up without bound. Pauses nest (`_Collector`).
    `members=0` pauses nothing."""

    def __init__(self, members: int) -> None:
        self._budget = GC_ALLOWANCE * members
        self._start = gc.get_count()[0]
        self._held = members > 0
        if self._held:
            _COLLECTOR.pause()

    def check(self) -> None:
        if self._held and gc.get_count()[0] - self._start > self._budget:
            self.end()

    def end(self) -> None:
        if self._held:
            self._held = False
            _COLLECTOR.resume()


async def fan_out(
    members: Sequence[Member],
    work: Callable[[Member], Awaitable[Sequence[T]]],
    *,
    slots: anyio.Semaphore,
    progress: Progress | None,
    extra_time: float = 0.0,
    pause: GcPause | None = None,
) -> dict[str, tuple[tuple[T, ...] | None, ServerOutcome]]:
    """Run `work` on every member concurrently; name -> (values or None, outcome), in
    member order. `extra_time` lengthens every deadline (for calls that wait on purpose,
    which leave the collector on). `pause` is the caller's own `GcPause` (which it may
    check while it works); None pauses the collector here."""
    if pause is None:
        pause = GcPause(0 if extra_time else len(members))
    answers: dict[str, tuple[tuple[T, ...] | None, ServerOutcome]] = {}
    bugs: list[BaseException] = []

    async def one(member: Member) -> None:
        async with slots, member.slots:
            started = time.perf_counter()
            values: tuple[T, ...] | None = None
            error: AirflowBridgeError | None = None
            deadline = None if member.timeout is None else member.timeout + extra_time
            try:
                with anyio.move_on_after(deadline) as scope:
                    values = tuple(await work(member))
                if scope.cancelled_caught:
                    error = ServerTimeout(member.name, deadline or 0.0)
            except AirflowBridgeError as exc:
                error = exc
            except Exception as exc:
                bugs.append(exc)
                return
            finally:
                pause.check()
            outcome = ServerOutcome(
                server=member.name,
                elapsed=time.perf_counter() - started,
                count=len(values or ()),
                error=error,
            )
        answers[member.name] = (values, outcome)
        if progress is not None:
            try:
                progress(outcome)
            except Exception as exc:  # the caller's callback: raised as it is, not in a group
                bugs.append(exc)

    try:
        async with anyio.create_task_group() as group:
            for member in members:
                group.start_soon(one, member)
    finally:
        pause.end()
    if bugs:
        raise bugs[0]
    return {m.name: answers[m.name] for m in members}
