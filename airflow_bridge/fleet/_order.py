"""Ordering runs merged from several servers.

Each server sorts its own page, but a fleet needs one order across servers, so the fleet
sorts again by the same keys. Only fields every run carries can be compared across servers:
ids and `updated_at` are per-server database values, so they are refused with a clear error
rather than producing an order that looks right and is not. Missing dates sort last in
either direction (servers disagree about where NULLs go).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from airflow_bridge import DagRun

MERGEABLE = ("dag_id", "run_id", "state", "logical_date", "run_after", "start_date", "end_date")


def order_keys(order_by: Sequence[str] | str | None) -> tuple[str, ...]:
    """The `order_by` argument as a tuple of keys ("-start_date", ...), checked."""
    keys = (order_by,) if isinstance(order_by, str) else tuple(order_by or ())
    for key in keys:
        name = key.removeprefix("-")
        if name not in MERGEABLE:
            raise ValueError(
                f"a fleet cannot order runs by {name!r} across servers; use one of "
                f"{', '.join(MERGEABLE)} (prefix '-' for descending)"
            )
    return keys


def merge(runs: Iterable[DagRun], keys: Sequence[str]) -> list[DagRun]:
    """The runs sorted by `keys`; without keys they keep the order given (server by server)."""
    merged = list(runs)
    for key in reversed(keys):  # stable sorts, least significant key first
        descending, name = key.startswith("-"), key.removeprefix("-")
        merged.sort(key=lambda run: _sort_value(getattr(run, name), descending), reverse=descending)
    return merged


def _sort_value(value: Any, descending: bool) -> tuple[bool, Any]:
    # (present, value) sorted descending, or (missing, value) ascending: None ends up last.
    if value is None:
        return (not descending, 0)
    return (descending, str(value.value) if hasattr(value, "value") else value)
