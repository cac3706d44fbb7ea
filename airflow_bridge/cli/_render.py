"""Output: one list of records, four formats, errors after the data, an exit code.

Every command turns its result into JSON-ready records (dicts with a fixed key order), so
JSON, NDJSON and CSV share one documented shape and only the table is styled:

- json: one array of objects; ndjson: one object per line; csv: a header of the same keys,
  nested values (conf, extra, health) as JSON text, missing values empty.
- Dates are ISO 8601 with offset, as the servers sent them; every run carries `server`, the
  fleet member's name.

Data goes to stdout and errors to stderr, so `-o json | jq` sees clean JSON.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from enum import IntEnum
from typing import Any

import attrs
import click
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from airflow_bridge.fleet import FleetResult

FORMATS = ("table", "json", "ndjson", "csv")
#: A table's width when stdout is not a terminal (rich would pick 80).
PIPED_WIDTH = 100
STATE_STYLES = {
    "success": "green",
    "failed": "bold red",
    "running": "cyan",
    "queued": "yellow",
    "upstream_failed": "red",
    "skipped": "magenta",
}


class Exit(IntEnum):
    """The exit codes: documented in `airflow-bridge --help`."""

    OK = 0
    FAILED = 1  # every server failed (or the user declined a confirmation)
    USAGE = 2  # the command was wrong: bad option, bad fleet file, unknown server
    PARTIAL = 3  # some servers failed; the others' results were printed


@attrs.frozen
class Column:
    """A table column: a record key, its header, and how to show the value."""

    key: str
    header: str
    show: Callable[[Any], str | Text] = str
    max_width: int | None = None
    min_width: int | None = None
    fold: bool = False


def out_console() -> Console:
    """stdout, as rich sees it (read each time: the CLI runner swaps sys.stdout)."""
    return Console(file=sys.stdout, width=_width(sys.stdout), highlight=False)


def err_console() -> Console:
    return Console(file=sys.stderr, width=_width(sys.stderr), highlight=False)


def interactive() -> bool:
    """Whether a person watches: both streams on a terminal (no progress bar when piped)."""
    return sys.stdout.isatty() and sys.stderr.isatty()


def emit(
    records: Sequence[Mapping[str, Any]],
    fields: Sequence[str],
    columns: Sequence[Column],
    output: str,
    *,
    rows: Sequence[Mapping[str, Any]] | None = None,
    caption: str | None = None,
) -> None:
    """Print the records in the chosen format (`fields` fixes the CSV header); a table
    shows `rows` when given (records plus display-only values such as a duration)."""
    if output == "json":
        click.echo(json.dumps(list(records), indent=2, default=str))
    elif output == "ndjson":
        for record in records:
            click.echo(json.dumps(record, default=str))
    elif output == "csv":
        click.echo(_csv(records, fields), nl=False)
    else:
        _table(records if rows is None else rows, columns, caption)


def _csv(records: Sequence[Mapping[str, Any]], fields: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(fields)
    for record in records:
        writer.writerow([_flat(record.get(field)) for field in fields])
    return buffer.getvalue()


def _flat(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    return value


def _table(
    records: Sequence[Mapping[str, Any]], columns: Sequence[Column], caption: str | None
) -> None:
    console = out_console()
    if not records:
        console.print(caption or "nothing found", style="dim")
        return
    table = Table(
        box=box.SIMPLE_HEAD,
        padding=(0, 1, 0, 0),
        pad_edge=False,
        caption=caption,
        caption_justify="left",
    )
    for column in columns:
        table.add_column(
            column.header,
            max_width=column.max_width,
            min_width=column.min_width,
            overflow="fold" if column.fold else "ellipsis",
            no_wrap=not column.fold,
        )
    for record in records:
        table.add_row(*(_cell(column, record.get(column.key)) for column in columns))
    console.print(table)


def _cell(column: Column, value: Any) -> str | Text:
    if value is None or value == "":
        return Text("-", style="dim")
    return column.show(value)


def state(value: Any) -> Text:
    return Text(str(value), style=STATE_STYLES.get(str(value), ""))


def when(value: Any) -> str:
    """An ISO timestamp as UTC date and time on two lines (a narrow column)."""
    moment = datetime.fromisoformat(str(value)).astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%d\n%H:%M:%S")


def seconds(value: Any) -> str:
    total = round(float(value))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def report(result: FleetResult[Any], *, also_failed: Sequence[str] = ()) -> Exit:
    """List the servers that failed (after the data, on stderr); the exit code."""
    errors = result.errors
    failed = len(errors) + len([n for n in also_failed if n not in errors])
    if errors:
        console = err_console()
        console.print(f"{len(errors)} of {len(result.outcomes)} servers failed:", style="bold red")
        for name, error in errors.items():
            line = Text("  ")
            line.append(name, style="bold")
            line.append(f"  {type(error).__name__}: {error}")
            console.print(line, overflow="fold")
    if failed == 0:
        return Exit.OK
    return Exit.FAILED if failed >= len(result.outcomes) else Exit.PARTIAL


def _width(stream: Any) -> int | None:
    """The terminal's width (rich finds it), COLUMNS if set, else PIPED_WIDTH."""
    return None if stream.isatty() or os.environ.get("COLUMNS") else PIPED_WIDTH
