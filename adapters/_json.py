"""JSON decoding of response bodies: orjson when installed (the `speed` extra), else the stdlib.

orjson decodes recorded Airflow list pages 1.2x (Airflow 3) to 1.9x (Airflow 2) faster than
`json.loads` (benchmarks/parse_speed.py). It is stricter than the stdlib (no NaN, integers
within 64 bits, UTF-8 only), so a body it refuses is decoded again by `json.loads`: whatever
the stdlib reads is read the same with or without orjson.
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


def loads(content: bytes) -> Any:
    """The decoded body; ValueError (json.JSONDecodeError) when it is not JSON."""
    if _FAST is not None:
        fast_loads, fast_error = _FAST
        try:
            return fast_loads(content)
        except fast_error:
            pass  # the stdlib decides, and raises its own error if it refuses too
    return json.loads(content)
