"""JSON decoding of response bodies: orjson when installed (the `speed` extra), else the stdlib.

orjson decodes recorded Airflow list pages 1.2x (Airflow 3) to 1.9x (Airflow 2) faster than
`json.loads` (benchmarks/parse_speed.py). It is stricter than the stdlib (no NaN, UTF-8 only),
so a body it refuses is decoded again by `json.loads`. It also reads an integer beyond 64 bits
as a float without a word (orjson 3.13: -9223372036854775809 -> -9.223372036854776e+18), so
a body with a run of 19 or more digits anywhere goes to the stdlib too: whatever the stdlib
reads is read the same with or without orjson.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable
from typing import Any


def _orjson() -> tuple[Callable[[bytes], Any], type[ValueError]] | None:
    """orjson's decoder and its error type, or None when it is not installed."""
    try:
        orjson = importlib.import_module("orjson")  # optional: not a typed dependency
    except ImportError:
        return None
    return orjson.loads, orjson.JSONDecodeError


_FAST = _orjson()
#: The decoder `loads` tries first, for the benchmarks' reports: "orjson" or "json".
DECODER = "json" if _FAST is None else "orjson"
#: Integers of 19 digits or more may be outside 64 bits, which orjson turns into floats.
_LONG_NUMBER = re.compile(rb"[0-9]{19}")


def loads(content: bytes) -> Any:
    """The decoded body; ValueError (json.JSONDecodeError) when it is not JSON."""
    if _FAST is not None and _LONG_NUMBER.search(content) is None:
        fast_loads, fast_error = _FAST
        try:
            return fast_loads(content)
        except fast_error:
            pass  # the stdlib decides, and raises its own error if it refuses too
    return json.loads(content)
