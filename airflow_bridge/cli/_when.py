"""`--since` / `--until` values: ISO dates or the relative forms people type.

Accepted: `now`, `today`, `yesterday` (local midnight), `30s`, `15m`, `2h`, `1d`, `2w` (that
long ago, an optional trailing " ago" allowed), and ISO 8601 dates or times (dateutil reads
them); a time without an offset is local time. The result is always timezone-aware, as the
servers need.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import click
from dateutil import parser as dateparser

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_RELATIVE = re.compile(r"^(\d+)\s*([smhdw])(?:\s+ago)?$")


def parse_when(text: str, now: datetime | None = None) -> datetime:
    """The moment `text` names; ValueError with the accepted forms if it names none."""
    now = now or datetime.now().astimezone()
    word = text.strip().lower()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if word == "now":
        return now
    if word == "today":
        return midnight
    if word == "yesterday":
        return midnight - timedelta(days=1)
    relative = _RELATIVE.match(word)
    if relative:
        amount, unit = relative.groups()
        return now - timedelta(**{_UNITS[unit]: int(amount)})
    try:
        moment = dateparser.isoparse(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is not a time: use an ISO date (2024-05-01, 2024-05-01T08:00Z), "
            "now, today, yesterday, or an age such as 30m, 2h, 1d, 2w"
        ) from None
    return moment if moment.tzinfo else moment.astimezone()


def when_option(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """A click callback for `parse_when`, so a bad time is a usage error (exit 2)."""
    if value is None:
        return None
    try:
        return parse_when(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None
