"""The fake's sense of time, which tests move instead of waiting.

Everything time-dependent in the fake (run timestamps, token expiry, the wait endpoint's
pauses) reads one clock, so a test can jump past a JWT's `exp` or make a manual clock tick
deterministically.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone


def _seconds(seconds: float | timedelta) -> timedelta:
    return seconds if isinstance(seconds, timedelta) else timedelta(seconds=seconds)


class Clock:
    """Wall-clock UTC time plus an offset that `advance()` grows: time still flows, and a
    test can jump ahead (past a token's expiry, say) without sleeping."""

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The time every timestamp the fake writes or compares is taken from.

        Returns:
            Wall-clock UTC time plus what `advance()` added (timezone-aware).
        """
        return datetime.now(timezone.utc) + self._offset

    def advance(self, seconds: float | timedelta) -> None:
        """Jump ahead without sleeping, e.g. past a token's expiry; thread-safe.

        Args:
            seconds: How far, in seconds or as a timedelta (negative goes back).
        """
        with self._lock:
            self._offset += _seconds(seconds)

    def sleep(self, seconds: float) -> None:
        """Pause the way the server would (the wait endpoint polls with this): really.

        Args:
            seconds: How long to block the calling thread.

        Raises:
            ValueError: `seconds` is negative (from `time.sleep`).
        """
        time.sleep(seconds)

    def tick(self) -> None:
        """Called once per request; does nothing here, since real time passes on its own."""


class ManualClock(Clock):
    """Time that moves only when told: by `advance()`, by `sleep()` (instantly), and by
    `step` per request, so two requests never share a timestamp (run ids derive from it).

    Args:
        start: The first `now()`, timezone-aware, kept in UTC (default: the wall-clock
            time at construction).
        step: Seconds each request (each `tick()`) moves the time (default 0.001).

    Raises:
        ValueError: `start` is a naive datetime.
    """

    def __init__(self, start: datetime | None = None, *, step: float = 0.001) -> None:
        super().__init__()
        begin = start or datetime.now(timezone.utc)
        if begin.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self._now = begin.astimezone(timezone.utc)
        self._step = timedelta(seconds=step)

    def now(self) -> datetime:
        """The manual time; it moves only through `advance`, `sleep` and `tick`.

        Returns:
            The current manual time, UTC.
        """
        return self._now

    def advance(self, seconds: float | timedelta) -> None:
        """Move the time forward (or back, for a negative amount); thread-safe.

        Args:
            seconds: How far, in seconds or as a timedelta.
        """
        with self._lock:
            self._now += _seconds(seconds)

    def sleep(self, seconds: float) -> None:
        """Sleep instantly: the time moves by `seconds` and the caller goes on at once, so
        a wait-endpoint stream finishes without real waiting.

        Args:
            seconds: How far to move the time (not validated, unlike `Clock.sleep`).
        """
        self.advance(seconds)

    def tick(self) -> None:
        """One request's worth of time: the time moves by `step`."""
        self.advance(self._step)
