"""Dates on the wire: ISO 8601 strings out, timezone-aware UTC datetimes in."""

from __future__ import annotations

import sys
from datetime import datetime, timezone

from airflow_bridge.errors import InvalidArgument

UTC = timezone.utc
_FROMISO_TAKES_Z = sys.version_info >= (3, 11)


def parse_datetime(value: str) -> datetime:
    """Parse a server date as aware UTC.

    `datetime.fromisoformat` reads what Airflow sends in well under a microsecond; dateutil
    (about 10 µs a date) is only the fallback for shapes it cannot read.
    """
    if not _FROMISO_TAKES_Z and value.endswith("Z"):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        from dateutil import parser  # imported on first need: it costs ~10 ms at import

        parsed = parser.parse(value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)  # Airflow stores and reports UTC
    if parsed.tzinfo is not UTC:
        return parsed.astimezone(UTC)
    return parsed


def format_datetime(argument: str, value: datetime) -> str:
    """ISO 8601 for the wire; a naive datetime is refused before any request is sent.

    Airflow 3 answers a naive date filter with a 500 and Airflow 2 guesses a timezone, so the
    caller must say which instant they mean.
    """
    if not isinstance(value, datetime):
        raise InvalidArgument(
            f"{argument} must be a timezone-aware datetime, not {type(value).__name__} "
            f"{value!r}: e.g. {argument}=datetime.fromisoformat('2024-01-01T00:00:00+00:00')"
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidArgument(
            f"{argument} is a naive datetime: pass a timezone-aware one, "
            f"e.g. {argument}=datetime(..., tzinfo=timezone.utc)"
        )
    return value.isoformat()
