"""Dates on the wire: ISO 8601 strings out, timezone-aware UTC datetimes in."""

from __future__ import annotations

import sys
from datetime import datetime, timezone

from airflow_bridge.errors import InvalidArgument

UTC = timezone.utc


def parse_datetime(value: str) -> datetime:
    """Parse a server date as aware UTC.

    `datetime.fromisoformat` reads what Airflow sends in well under a microsecond; dateutil
    (about 10 µs a date, and ~10 ms to import) is only the fallback for shapes it cannot read.
    """
    try:
        parsed = fromisoformat(value)
    except ValueError:
        from dateutil import parser  # imported on first need: it costs ~10 ms at import

        parsed = parser.parse(value)
    zone = parsed.tzinfo
    if zone is UTC:  # what both generations send: `Z` or `+00:00` give this very object
        return parsed
    if zone is None:
        return parsed.replace(tzinfo=UTC)  # Airflow stores and reports UTC
    return parsed.astimezone(UTC)


def _fromisoformat_z(value: str) -> datetime:
    """`fromisoformat` before Python 3.11, which does not read a trailing `Z`."""
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    return datetime.fromisoformat(value)


#: `datetime.fromisoformat`, reading a trailing `Z` on every supported Python.
fromisoformat = datetime.fromisoformat if sys.version_info >= (3, 11) else _fromisoformat_z


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
