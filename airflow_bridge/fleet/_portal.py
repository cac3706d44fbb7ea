"""Where a fleet's coroutines run: `AsyncPortal` awaits them in the caller's own event loop,
`Portal` runs them on a private loop in a daemon thread and blocks until they finish.

`AsyncFleet` is written against `AsyncPortal` and `Fleet` is generated from it with
`Portal` in its place (scripts/unasync.py): the one difference between the two fleets.

Why a private loop in a thread rather than `asyncio.run()` per call: the members'
connection pools, token logins and detected versions belong to the loop they were first
used on, so a fresh loop per call would throw them away (and break pooled connections); and
`asyncio.run()` refuses to run inside an already running loop (Jupyter, or sync code called
from async code), while handing work to our own thread works from anywhere. The thread is a
daemon, so a fleet that is never closed cannot keep the interpreter from exiting, and the
loop is stopped when the fleet is closed or garbage-collected (anyio's
`start_blocking_portal` is a context manager: it fits a `with` block, not an object that
lives until it is closed or collected). Progress callbacks run on that thread.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class AsyncPortal:
    """Runs a fleet's coroutines in the caller's event loop."""

    def __init__(self) -> None:
        self.open = True

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        if not self.open:
            coro.close()
            raise RuntimeError("this fleet is closed")
        return await coro

    def stop(self) -> None:
        self.open = False


class Portal:
    """An asyncio loop running forever in a daemon thread; `run()` blocks on a coroutine."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="airflow-bridge-fleet", daemon=True
        )
        self._thread.start()
        self._finalizer = weakref.finalize(self, _stop, self._loop, self._thread)

    @property
    def open(self) -> bool:
        return self._finalizer.alive

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("a sync Fleet cannot be called from its own progress callback")
        if not self.open:
            coro.close()
            raise RuntimeError("this fleet is closed")
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()  # e.g. Ctrl-C: do not leave the work running in the background
            raise

    def stop(self) -> None:
        self._finalizer()


def _stop(loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
    loop.call_soon_threadsafe(loop.stop)
    thread.join()
    loop.close()
