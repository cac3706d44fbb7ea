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


def _beyond(
    a: Sequence[Any], b: Sequence[Any], keys: Sequence[Key], backward: bool, sql_nulls: bool
) -> bool:
    """Whether row values `a` come after the cursor's `b` in ORDER BY order (before it when
    walking backward), NULL lowest as SQLite sorts. `sql_nulls`: as 3.2.2-3.3.0, whose
    `col >= x AND (col > x OR ...)` compares NULL like a value: a NULL met before the deciding
    column makes the predicate unknown, so the row is skipped."""
    for x, y, (_, descending) in zip(a, b, keys, strict=True):
        if sql_nulls and NULL in (x, y):
            return False
        if x != y:
            return bool(x > y) != (descending != backward)
    return False


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
        candidates = [
            r for r in runs if _beyond(sort_values(r, keys), bound, keys, backward, sql_nulls)
        ]
    more = len(candidates) > limit
    chosen = (candidates[-limit:] if backward else candidates[:limit]) if limit else []
    has_next, has_prev = (True, more) if backward else (more, bool(cursor))
    return chosen, {
        "next_cursor": encode(chosen[-1], keys) if has_next and chosen else None,
        "previous_cursor": BACKWARD + encode(chosen[0], keys) if has_prev and chosen else None,
    }
