"""Argument checks the facade makes before anything is sent, the version probe included.

Whatever the input alone shows to be wrong is refused here with `InvalidArgument`, the same on
every server: otherwise Airflow 2 and 3 refuse it differently (a 400, a 422, a 500 page), or
one of them quietly reads it as something else (`dry_run="no"` clears for real on Airflow
3.3.2, `conf=[]` becomes `{}`, an unknown state filter lists nothing on Airflow 2.10.5).
Enum values (states, run types) are case-insensitive and normalized to the wire's lower case;
field names (`order_by`) are exact. Nothing here knows a generation: the run type names of
every generation come from the adapters' declared tables.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from airflow_bridge.adapters import RUN_TYPE_ALIASES
from airflow_bridge.errors import InvalidArgument
from airflow_bridge.models import ORDER_FIELDS, DagRunState, RunType

#: Airflow's ID_LEN: the run_id column's size on both generations (airflow/models/base.py).
RUN_ID_MAX_LENGTH = 250
#: The states a run can be set to; `running` is the scheduler's alone (both generations refuse it).
SETTABLE_STATES = (DagRunState.QUEUED.value, DagRunState.SUCCESS.value, DagRunState.FAILED.value)


def identifier(name: str, value: object) -> str:
    """A dag_id or run_id that goes into a URL path: a non-empty string without `/`.

    Every other character is percent-encoded into its own segment, but `%2F` is no shelter
    for `/`: Airflow 2.10.5 and 3.3.2 decode it before routing, so `get("dag",
    "x/taskInstances")` reached the task instances endpoint on both
    (tests/real/test_hostile_ids_real.py).
    """
    text = _text(name, value)
    if "/" in text:
        raise InvalidArgument(
            f"{name} {_shown(text)} contains '/': Airflow decodes %2F in a path before routing, "
            "so it would address another endpoint; no default id pattern allows '/'"
        )
    return text


def _text(name: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidArgument(f"{name} must be a non-empty string, not {_shown(value)}")
    return value


def optional_run_id(value: object) -> str | None:
    """trigger's run_id: None lets the server choose; "" would silently do the same.

    Longer than 250 characters is refused: both generations store run ids in a column of 250
    (ID_LEN). Airflow 2.10.5 answers 400; 3.3.2 does not check it and leaves it to the
    database (its SQLite stored a 251-character id).
    """
    if value == "":
        raise InvalidArgument("run_id is empty: pass run_id=None to let the server choose one")
    if value is None:
        return None
    run_id = _text("run_id", value)  # sent in the body: the server judges its characters
    if len(run_id) > RUN_ID_MAX_LENGTH:
        raise InvalidArgument(
            f"run_id is {len(run_id)} characters long; Airflow stores at most "
            f"{RUN_ID_MAX_LENGTH}: shorten it"
        )
    return run_id


def conf(value: object) -> Mapping[str, Any] | None:
    """trigger's conf: a mapping of JSON values with string keys, or None.

    Servers refuse a list or a string (400 on Airflow 2.10.5, 422 on 3.3.2); non-string keys
    and NaN would be silently rewritten or refused by the JSON encoding, so they are refused
    too. Tuples are JSON arrays, as lists are.
    """
    if value is None:
        return None
    if isinstance(value, str | bytes):
        raise InvalidArgument(
            "conf must be a mapping, not a string: parse it first, e.g. conf=json.loads(text)"
        )
    if not isinstance(value, Mapping):
        raise InvalidArgument(
            f"conf must be a mapping such as {{'key': 'value'}}, not {_shown(value)}"
        )
    _json_value("conf", value)
    return value


def _json_value(where: str, value: object) -> None:
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidArgument(f"{where} is {value!r}, which JSON cannot carry")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidArgument(
                    f"{where} has the key {key!r}: JSON keys are strings (it would arrive "
                    f"as {str(key)!r})"
                )
            _json_value(f"{where}[{key!r}]", item)
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _json_value(f"{where}[{index}]", item)
        return
    raise InvalidArgument(
        f"{where} is {_shown(value)}: conf holds JSON values only (dict, list, str, int, "
        "float, bool, None); convert it first, e.g. a datetime with .isoformat()"
    )


def interval_order(start: datetime | None, end: datetime | None) -> None:
    """A trigger's data_interval (aware datetimes, checked before) must not end before it
    starts. Airflow 2.10.5 and 3.3.2 both store an inverted interval as sent (seen live), and
    every template and timetable downstream then reads a negative interval; start == end is
    allowed (Airflow 3 dates a manual run with one)."""
    if start is not None and end is not None and end < start:
        raise InvalidArgument(
            f"data_interval ends ({end.isoformat()}) before it starts ({start.isoformat()}); "
            "pass (start, end) with start <= end"
        )


def optional_text(name: str, value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise InvalidArgument(f"{name} must be a string or None, not {_shown(value)}")
    return value


def flag(name: str, value: object) -> bool:
    """A bool, strictly: Airflow 3 reads dry_run="no" or 0 as a real clear, Airflow 2 refuses."""
    if not isinstance(value, bool):
        raise InvalidArgument(f"{name} must be True or False, not {_shown(value)}")
    return value


def paging(limit: object, page_size: object) -> None:
    """Types only; the values are the pager's to check."""
    if limit is not None and not _is_int(limit):
        raise InvalidArgument(f"limit must be an int or None (all runs), not {_shown(limit)}")
    if not _is_int(page_size):
        raise InvalidArgument(f"page_size must be an int, not {_shown(page_size)}")


def polling(timeout: object, interval: object) -> None:
    """wait()'s timeout (>= 0) and interval (> 0), in seconds."""
    for name, value in (("timeout", timeout), ("interval", interval)):
        if not isinstance(value, int | float) or isinstance(value, bool) or value != value:
            raise InvalidArgument(f"{name} must be a number of seconds, not {_shown(value)}")
    assert isinstance(timeout, int | float) and isinstance(interval, int | float)
    if timeout < 0:
        raise InvalidArgument("timeout must be >= 0 seconds")
    if interval <= 0:
        raise InvalidArgument("interval must be a positive number of seconds")


def settable_state(value: object) -> str:
    """A state to set: queued, success or failed, any case, or a DagRunState."""
    folded = value.lower() if isinstance(value, str) else value
    if folded not in SETTABLE_STATES:
        raise InvalidArgument(
            f"state {_shown(value)} cannot be set through the API; use one of "
            f"{', '.join(SETTABLE_STATES)}"
        )
    return str(folded)


def states(values: object) -> tuple[str, ...]:
    """The states filter: DagRunState members or names in any case, normalized."""
    return tuple(_enum_value("states", v, DagRunState, {}) for v in _many("states", values))


def run_types(values: object) -> tuple[str, ...]:
    """The run_types filter: RunType members or either generation's name, any case."""
    return tuple(
        _enum_value("run_types", v, RunType, RUN_TYPE_ALIASES) for v in _many("run_types", values)
    )


def order_by(value: object) -> tuple[str, ...]:
    """order_by keys: exact ORDER_FIELDS names, each optionally prefixed with "-".

    `conf` is refused although both APIs accept it: Airflow 2 sorts the pickled bytes it
    stores, Airflow 3 the JSON text, so 9 runs came in different orders from 2.10.5 and
    3.3.2, ascending and descending alike (seen live); the order means nothing to a caller.
    """
    keys: list[str] = []
    for key in _many("order_by", value):
        if isinstance(key, str) and key in ("conf", "-conf"):
            raise InvalidArgument(
                f"order_by {key!r} is refused: Airflow 2 sorts runs by the pickled bytes of "
                "their conf and Airflow 3 by its JSON text, so the order differs between "
                "servers and follows no value; list the runs and sort them yourself, e.g. "
                "sorted(runs, key=lambda run: str(run.conf.get('day')))"
            )
        if not isinstance(key, str) or key.lstrip("-") not in ORDER_FIELDS or key.count("-") > 1:
            raise InvalidArgument(
                f"order_by {key!r} is not a field runs can be ordered by; use one of "
                f"{', '.join(ORDER_FIELDS)} (prefix '-' for descending)"
            )
        keys.append(key)
    return tuple(keys)


def dag_ids(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(identifier("dag_ids item", item) for item in _many("dag_ids", value))


def _many(name: str, value: object) -> tuple[object, ...]:
    """One value or an iterable of them (a string is one value, not its characters)."""
    if value is None:
        return ()
    if isinstance(value, str | Enum):
        return (value,)
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise InvalidArgument(f"{name} must be one value or a list of them, not {_shown(value)}")
    return tuple(value)


def _enum_value(name: str, value: object, enum: type[Enum], aliases: Mapping[str, str]) -> str:
    if isinstance(value, enum):
        return str(value.value)
    known = {str(member.value) for member in enum}
    if isinstance(value, str):
        folded = value.lower()
        folded = aliases.get(folded, folded)
        if folded in known:
            return folded
    names = sorted(known | set(aliases))
    raise InvalidArgument(f"{name}: {_shown(value)} is not one of {', '.join(names)}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _shown(value: object) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}" if not isinstance(value, str) else text
