"""JSON decoding of response bodies: orjson when installed (the `speed` extra), else the stdlib.

orjson alone decodes recorded Airflow list pages 1.1x (Airflow 3) to 1.7x (Airflow 2) faster
than `json.loads`, but with the guard below a whole page builds no faster (0.93x and 1.00x of
the stdlib path, benchmarks/parse_speed.py, README Figures). It is stricter than the stdlib
(no NaN, UTF-8 only), so a body it refuses is decoded again by `json.loads`. It also reads an
integer beyond 64 bits as a float without a word (orjson 3.13: -9223372036854775809 ->
-9.223372036854776e+18), so a body with a run of 19 or more digits anywhere goes to the
stdlib too: whatever the stdlib reads is read the same with or without orjson.
"""

from __future__ import annotations

import importlib
import json
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
#: Integers of 19 digits or more may be outside 64 bits, which orjson turns into floats. Found
#: by mapping every digit to "0" and looking for 19 of them in a row: 4 ms on a 4 MB page
#: where a regular expression took 28 ms (as long as orjson's decoding itself).
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_NUMBER = b"0" * 19


def loads(content: bytes) -> Any:
    """The decoded body; ValueError (json.JSONDecodeError) when it is not JSON."""
    if _FAST is not None and _LONG_NUMBER not in content.translate(_DIGITS_AS_ZERO):
        fast_loads, fast_error = _FAST
        try:
            return fast_loads(content)
        except fast_error:
            pass  # the stdlib decides, and raises its own error if it refuses too
    return json.loads(content)
