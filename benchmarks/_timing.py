"""Timing shared by every benchmark and by the official-client worker (stdlib only).

The worker runs in venvs without airflow_bridge, so this module imports nothing else from
the project; it is imported from the directory the scripts live in.

One call is timed the same way for every contender: a full collection first (so one call's
garbage is not billed to the next), the GC on during the call as in real use, and the result
released only after the clock stops.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds one call took, and a small fact about its result (see `size`)."""
    gc.collect()
    start = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - start
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
