"""Filtering, ordering and date parsing that both generations' list endpoints share.

The generations differ in parameter names and in edge cases (how NULL start dates compare,
how many sort keys count); those are arguments here, not copies of this code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from airflow_bridge.testing._state import Run

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "gte": lambda a, b: a >= b,
    "gt": lambda a, b: a > b,
    "lte": lambda a, b: a <= b,
    "lt": lambda a, b: a < b,
}


def parse_datetime(text: str) -> datetime | None:
    """ISO 8601 as Python and pydantic read it (`Z` allowed); None when unreadable.
    Naive results stay naive: the generations disagree on what to do with them."""
    value = text.strip()
    if value[-1:] in ("Z", "z"):
        value = value[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def run_value(run: Run, attr: str) -> Any:
    """A run's column as the database would compare it."""
    if attr == "id":
        return run.pk
    if attr in ("data_interval_start", "data_interval_end"):
        if run.data_interval is None:
            return None
        return run.data_interval[0 if attr.endswith("start") else 1]
    if attr == "duration":
        if run.start_date is None or run.end_date is None:
            return None
        return (run.end_date - run.start_date).total_seconds()
    if attr == "conf":
        return repr(run.conf)
    if attr == "partition_date":  # the fake's DAGs are not partitioned
        return None
    value: Any = getattr(run, attr)
    return value


def like(pattern: str) -> re.Pattern[str]:
    """SQL ILIKE '%pattern%' (the pattern's own % and _ are wildcards too)."""
    parts = (".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile(".*" + "".join(parts) + ".*", re.IGNORECASE | re.DOTALL)


@dataclass
class RunFilter:
    dag_ids: Collection[str] | None = None
    states: Collection[str | None] | None = None
    run_types: Collection[str | None] | None = None
    bounds: list[tuple[str, str, Any]] = field(default_factory=list)  # (attr, op, value)
    null_passes: Collection[str] = ()  # attrs whose NULL satisfies a lower bound
    patterns: list[tuple[str, re.Pattern[str]]] = field(default_factory=list)
    conf_contains: str | None = None

    def bound(self, attr: str, op: str, value: Any) -> None:
        self.bounds.append((attr, op, value))

    def accepts(self, run: Run, now: datetime) -> bool:
        if self.dag_ids is not None and run.dag_id not in self.dag_ids:
            return False
        if self.states is not None and run.state not in self.states:
            return False
        if self.run_types is not None and run.run_type not in self.run_types:
            return False
        for attr, op, limit in self.bounds:
            value = run_value(run, attr)
            if value is None and attr in self.null_passes:
                # NULL start/end dates count as "not yet": they pass lower bounds, and upper
                # bounds only while now is below them.
                if op in ("gte", "gt") or _OPS[op](now, limit):
                    continue
                return False
            if value is None or not _OPS[op](value, limit):
                return False
        for attr, pattern in self.patterns:
            value = getattr(run, attr)
            if value is None or not pattern.fullmatch(value):
                return False
        return self.conf_contains is None or self.conf_contains in repr(run.conf)

    def select(self, runs: Sequence[Run], now: datetime) -> list[Run]:
        return [run for run in runs if self.accepts(run, now)]


Key = tuple[str, bool]  # (run attribute, descending)


def sort_values(run: Run, keys: Sequence[Key]) -> list[Any]:
    """The run's comparable value for each sort key (JSON-safe, for cursor tokens)."""
    return [list(_sortable(run_value(run, attr))) for attr, _ in keys]


def order(runs: Sequence[Run], keys: Sequence[Key]) -> list[Run]:
    """Sort by (attr, descending) keys, first key most significant; NULL sorts lowest
    (as on SQLite, the real test servers' database); ties keep insertion order."""
    result = sorted(runs, key=lambda run: run.pk)
    for attr, descending in reversed(keys):
        result.sort(key=_sort_key(attr), reverse=descending)
    return result


def _sort_key(attr: str) -> Callable[[Run], tuple[int, Any]]:
    return lambda run: _sortable(run_value(run, attr))


def _sortable(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, datetime):
        return (1, value.timestamp())
    return (1, value)


def page(runs: Sequence[Run], offset: int, limit: int) -> list[Run]:
    return list(runs[offset : offset + limit])
