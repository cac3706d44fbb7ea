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
    """A server did not finish its part of a fleet call within its deadline."""

    def __init__(self, server: str, seconds: float) -> None:
        super().__init__(f"{server} did not answer within {seconds:g} s")
        self.server = server
        self.seconds = seconds


@attrs.frozen(kw_only=True)
class ServerOutcome:
    """How one server's part of a fleet call went: `error` is None when it succeeded.

    `elapsed` is the server's own wall time in seconds (not counting the wait for a
    concurrency slot); `count` is how many items it contributed.
    """

    server: str
    elapsed: float
    count: int = 0
    error: AirflowBridgeError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@attrs.frozen(kw_only=True)
class FleetResult(Generic[T]):
    """The items of every server that answered, merged (and ordered when asked), and how each
    server fared. Iterating a result iterates its items.

    `per_server` holds what each successful server returned, in that server's own order.
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
    def errors(self) -> dict[str, AirflowBridgeError]:
        """Server name -> its typed error, for the servers that failed."""
        return {
            name: outcome.error
            for name, outcome in self.outcomes.items()
            if outcome.error is not None
        }

    def raise_for_errors(self) -> FleetResult[T]:
        """This result when every server succeeded; FleetError naming the failures if not."""
        if not self.ok:
            raise FleetError(self.errors, total=len(self.outcomes))
        return self


class FleetError(AirflowBridgeError):
    """Some servers of a fleet call failed; `errors` maps each one's name to its error."""

    def __init__(self, errors: Mapping[str, AirflowBridgeError], *, total: int) -> None:
        listed = "; ".join(f"{name}: {error}" for name, error in errors.items())
        super().__init__(f"{len(errors)} of {total} servers failed: {listed}")
        self.errors = dict(errors)
