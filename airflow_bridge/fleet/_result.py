"""What a fleet call returns: the merged items plus one outcome per server.

Partial failure is the normal case for a fleet (one server down must not hide the other
nineteen), so errors are data here; `raise_for_errors()` turns them into an exception for
callers who want all-or-nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Generic, TypeVar

import attrs

from airflow_bridge.errors import AirflowBridgeError

T = TypeVar("T")


class ServerTimeout(AirflowBridgeError, TimeoutError):
    """A server did not finish its part of a fleet call within its deadline.

    Args:
        server: The member's name.
        seconds: The deadline it missed.
    """

    def __init__(self, server: str, seconds: float) -> None:
        super().__init__(f"{server} did not answer within {seconds:g} s")
        self.server = server
        self.seconds = seconds


@attrs.frozen(kw_only=True)
class ServerOutcome:
    """How one server's part of a fleet call went.

    Attributes:
        server: The member's name.
        elapsed: The server's own wall time in seconds (not counting the wait for a
            concurrency slot).
        count: How many items it contributed (a failed server's partial items included).
        error: Its typed error (a timeout is `ServerTimeout`); None when it succeeded.
        partial: The server failed part-way and its `count` items are what it sent
            before failing (a listing: its first pages); they are in the result, so
            nothing received is lost. False when it succeeded or sent nothing.
    """

    server: str
    elapsed: float
    count: int = 0
    error: AirflowBridgeError | None = None
    partial: bool = False

    @property
    def ok(self) -> bool:
        """Whether this server succeeded."""
        return self.error is None


@attrs.frozen(kw_only=True)
class FleetResult(Generic[T]):
    """The items of every server that answered, merged (and ordered when asked), and how each
    server fared. Iterating a result iterates its items; `len()` counts them.

    Attributes:
        items: Every successful server's items, and what a server that failed part-way
            had sent (its outcome says `partial`), merged.
        per_server: Server name -> what it returned, in that server's own order (successful
            servers, and partial ones).
        outcomes: Server name -> its `ServerOutcome`, for every server asked, in fleet order.
    """

    items: tuple[T, ...]
    per_server: Mapping[str, tuple[T, ...]]
    outcomes: Mapping[str, ServerOutcome]

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def ok(self) -> bool:
        """Whether every server succeeded."""
        return all(outcome.ok for outcome in self.outcomes.values())

    @property
    def partial(self) -> tuple[str, ...]:
        """The servers that failed part-way, whose items in this result are incomplete."""
        return tuple(name for name, outcome in self.outcomes.items() if outcome.partial)

    @property
    def errors(self) -> dict[str, AirflowBridgeError]:
        """Server name -> its typed error, for the servers that failed."""
        return {
            name: outcome.error
            for name, outcome in self.outcomes.items()
            if outcome.error is not None
        }

    def raise_for_errors(self) -> FleetResult[T]:
        """All or nothing: this result, if every server succeeded.

        Returns:
            This result.

        Raises:
            FleetError: Some servers failed; it names each one with its error.
        """
        if not self.ok:
            raise FleetError(self.errors, total=len(self.outcomes))
        return self


class FleetError(AirflowBridgeError):
    """Some servers of a fleet call failed (raised by `FleetResult.raise_for_errors`).

    Args:
        errors: Server name -> its error, for each server that failed (kept as `errors`).
        total: How many servers were asked.
    """

    def __init__(self, errors: Mapping[str, AirflowBridgeError], *, total: int) -> None:
        listed = "; ".join(f"{name}: {error}" for name, error in errors.items())
        super().__init__(f"{len(errors)} of {total} servers failed: {listed}")
        self.errors = dict(errors)
