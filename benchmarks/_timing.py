"""Best-of-N timing shared by parse_speed.py and the official-client worker.

The ratios in the report only mean something if every contender is timed by the same code,
and the worker runs in venvs that do not have airflow_bridge installed, so this module is
stdlib-only and is imported from the directory both scripts live in.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def best_of(parse: Callable[[], T], repeats: int) -> tuple[float, T]:
    """The shortest of `repeats` timed calls (seconds), and the result of an untimed warm-up.

    The minimum is the figure least disturbed by other work on a shared machine. The warm-up
    pays one-off costs (lazy imports, caches filled on first use) outside the timing, and its
    result lets the caller check that the contender really built every run. The garbage
    collector stays on, as in real use, since building thousands of objects triggers
    collections; a collection before each call keeps one repeat's garbage out of the next,
    and each result is released only after the clock stops, so freeing the previous result
    is never billed to a parse.
    """
    warm = parse()
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        result = parse()
        best = min(best, time.perf_counter() - start)
        del result
    return best, warm
