"""Timing shared by every benchmark and by the official-client worker (stdlib only).

The worker runs in venvs without airflow_bridge, so this module imports nothing else from
the project; it is imported from the directory the scripts live in.

One call is timed the same way for every contender: a full collection first (so one call's
garbage is not billed to the next), the GC on during the call as in real use, and the result
released only after the clock stops.

The clock is the calling thread's CPU time (`time.thread_time`) by default: on a machine
shared with other work, wall time also counts the time other processes held the CPU, which
differs from call to call and from process to process (the official clients run in their own
processes). For a single-threaded parse on an idle machine the two agree. `CLOCKS["wall"]`
(`time.perf_counter`) is the alternative.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

CLOCKS: dict[str, Callable[[], float]] = {"cpu": time.thread_time, "wall": time.perf_counter}


def timed(call: Callable[[], Any], clock: str = "cpu") -> tuple[float, Any]:
    """Seconds one call took on `clock`, and a small fact about its result (see `size`)."""
    now = CLOCKS[clock]
    gc.collect()
    start = now()
    result = call()
    seconds = now() - start
    built = size(result)
    del result
    return seconds, built


def size(result: Any) -> int:
    """How many runs a parse built: a list page model, a collection, or a plain count."""
    if isinstance(result, int):
        return result
    for name in ("runs", "dag_runs"):
        runs = getattr(result, name, None)
        if runs is not None:
            return len(runs)
    if isinstance(result, dict) and "dag_runs" in result:
        return len(result["dag_runs"])
    return -1
