"""Keyset ("cursor") pagination of a sorted run listing, as Airflow 3.2.2+ pages GET dagRuns.

The server's token is an opaque URL-safe base64 string of the boundary row's sort-key values
(msgpack on the real server, JSON here: clients must not read it). A cursor of "" asks for the
first page; a "~" prefix walks backwards. Rows are compared in ORDER BY order, NULL lowest (as
on SQLite, the real test servers' database), so a page never repeats or skips a row however
the listing grows between requests.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any

from airflow_bridge.testing._api import Listing
from airflow_bridge.testing._query import Key, sort_values
from airflow_bridge.testing._state import Run

BACKWARD = "~"
NULL = [0, 0]  # how `sort_values` gives a NULL


class CursorError(ValueError):
    """The cursor cannot be used; the message is the server's 400 detail."""


def encode(run: Run, keys: Sequence[Key]) -> str:
    payload = json.dumps(sort_values(run, keys)).encode()
    return base64.urlsafe_b64encode(payload).decode("ascii").rstrip("=")


def decode(token: str, keys: Sequence[Key]) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        raise CursorError("Invalid cursor token") from None
    if not isinstance(values, list):
        raise CursorError("Invalid cursor token structure")
    if len(values) != len(keys):
        raise CursorError("Cursor token does not match current query shape")
    return values


def _compare(a: Sequence[Any], b: Sequence[Any], keys: Sequence[Key]) -> int:
    """-1, 0 or 1: where row values `a` sit against `b` in ORDER BY order."""
    for x, y, (_, descending) in zip(a, b, keys, strict=True):
        if x != y:
            return (1 if x > y else -1) * (-1 if descending else 1)
    return 0


def _sql_beyond(a: Sequence[Any], b: Sequence[Any], keys: Sequence[Key], backward: bool) -> bool:
    """The keyset predicate of 3.2.2-3.3.0, which compares a NULL like any value: SQL's
    three-valued AND/OR over `col >= x AND (col > x OR ...)`, so a row or cursor with a NULL
    there is never beyond the cursor (such rows are skipped)."""

    def test(x: Any, y: Any, descending: bool, strict: bool) -> bool | None:
        if NULL in (x, y):
            return None
        if descending != backward:
            x, y = y, x
        return bool(x > y if strict else x >= y)

    def both(p: bool | None, q: bool | None) -> bool | None:
        return False if False in (p, q) else None if None in (p, q) else True

    def either(p: bool | None, q: bool | None) -> bool | None:
        return True if True in (p, q) else None if None in (p, q) else False

    *leading, (x, y, (_, descending)) = list(zip(a, b, keys, strict=True))
    result = test(x, y, descending, strict=True)
    for x, y, (_, descending) in reversed(leading):
        result = both(test(x, y, descending, False), either(test(x, y, descending, True), result))
    return result is True


def keyset_page(
    runs: Sequence[Run], listing: Listing, *, sql_nulls: bool = False
) -> tuple[list[Run], dict[str, str | None]]:
    """The page `listing.cursor` asks for out of `runs` (sorted by `listing.keys`), and the
    next and previous cursors. `sql_nulls`: compare NULLs as releases before 3.3.1 did."""
    cursor, keys, limit = listing.cursor or "", listing.keys, listing.limit
    backward = cursor.startswith(BACKWARD)
    candidates = list(runs)
    if cursor:
        bound = decode(cursor.removeprefix(BACKWARD), keys)
        side = -1 if backward else 1
        candidates = [
            run
            for run in runs
            if (
                _sql_beyond(sort_values(run, keys), bound, keys, backward)
                if sql_nulls
                else _compare(sort_values(run, keys), bound, keys) == side
            )
        ]
    more = len(candidates) > limit
    chosen = (candidates[-limit:] if backward else candidates[:limit]) if limit else []
    has_next, has_prev = (True, more) if backward else (more, bool(cursor))
    return chosen, {
        "next_cursor": encode(chosen[-1], keys) if has_next and chosen else None,
        "previous_cursor": BACKWARD + encode(chosen[0], keys) if has_prev and chosen else None,
    }
