"""The fan-out engine: run one piece of work on many members at once, never losing results.

Every member's work runs in its own task, bounded by the fleet-wide slots and by the
member's own slots, under the member's deadline. A library error (`AirflowBridgeError`,
including a timeout) becomes that member's outcome; anything else is a bug in the caller's
arguments (the same for every server) or progress callback, so it is raised once, as it is,
after all tasks have ended.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import anyio

from airflow_bridge.errors import AirflowBridgeError

from ._members import Member
from ._result import ServerOutcome, ServerTimeout

T = TypeVar("T")
Progress = Callable[[ServerOutcome], None]


async def fan_out(
    members: Sequence[Member],
    work: Callable[[Member], Awaitable[Sequence[T]]],
    *,
    slots: anyio.Semaphore,
    progress: Progress | None,
    extra_time: float = 0.0,
) -> dict[str, tuple[tuple[T, ...] | None, ServerOutcome]]:
    """Run `work` on every member concurrently; name -> (values or None, outcome), in
    member order. `extra_time` lengthens every deadline (for calls that wait on purpose)."""
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

    async with anyio.create_task_group() as group:
        for member in members:
            group.start_soon(one, member)
    if bugs:
        raise bugs[0]
    return {m.name: answers[m.name] for m in members}
