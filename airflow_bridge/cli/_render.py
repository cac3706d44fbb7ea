"""Output: one list of records, six formats, errors after the data, an exit code.

Every command turns its result into JSON-ready records (dicts with a fixed key order), so
JSON, NDJSON, YAML, CSV and TSV share one documented shape and only the table is styled:

- json: one array of objects; ndjson: one object per line; yaml: a list of mappings;
- csv: a header of the JSON's keys in the JSON's order, nested values (conf, extra, health)
  as JSON text, booleans `true`/`false`, missing values empty;
- tsv (the default when stdout is not a terminal, like gh): the table's columns, no header,
  one line per record, raw values (ISO dates), tabs and newlines inside values as spaces;
- table (the default on a terminal): the columns that identify a row (server, dag_id,
  run_id) are never cut; when the terminal is too narrow, optional columns are dropped from
  the right and the caption says which; narrower than the identifying columns themselves,
  lines run longer than the terminal (which wraps them) rather than cutting an id.

`--columns a,b` picks the keys (and their order) of every format. Data goes to stdout and
errors to stderr, so `-o json | jq` sees clean JSON.
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

FORMATS = ("table", "tsv", "json", "ndjson", "yaml", "csv")
#: A table's width when stdout is not a terminal (rich would pick 80).
PIPED_WIDTH = 100
#: What an empty table cell shows.
MISSING = "—"
STATE_STYLES = {
    "success": "green",
    "failed": "bold red",
    "running": "cyan",
    "queued": "yellow",
    "upstream_failed": "red",
    "skipped": "magenta",
}


class Exit(IntEnum):
    """The exit codes: documented in `airflow-bridge --help` (EXIT_CODES)."""

    OK = 0
    FAILED = 1  # every server failed, a waited-for run failed, or a confirmation was declined
    USAGE = 2  # the command was wrong: bad option, bad fleet file, unknown server
    PARTIAL = 3  # some servers failed or were unreachable; the others' results were printed
    TIMED_OUT = 4  # `wait`: a run was still going at --timeout
    AUTH_REFUSED = 5  # `probe`: a server refused the credentials
    UNHEALTHY = 6  # `probe`: a server answered, but a component (e.g. the scheduler) is not healthy


EXIT_CODES = """\b
Exit codes:
  0  every server succeeded (wait: every run succeeded)
  1  every server failed; wait: a run ended failed; a confirmation was declined
  2  the command was wrong (option, fleet file, context, unknown server)
  3  some servers failed or were unreachable (their errors follow the results)
  4  wait: a run was still going at --timeout
  5  probe: a server refused the credentials
  6  probe: a server's component (metadatabase, scheduler, ...) is not healthy
When several apply, the first in this order wins: 1 (a failed run), 4, 3, 5, 6."""


@attrs.frozen
class Column:
    """A table column: a record key, its header, and how to show the value.

    `optional` columns may be dropped when the table does not fit; the others never are
    and are never cut (they identify the row)."""

    key: str
    header: str
    show: Callable[[Any], str | Text] = str
    optional: bool = True
    fold: bool = False
    min_width: int | None = None
    max_width: int | None = None


def out_console() -> Console:
    """stdout, as rich sees it (read each time: the CLI runner swaps sys.stdout)."""
    return Console(file=sys.stdout, width=_width(sys.stdout), highlight=False)


def err_console() -> Console:
    return Console(file=sys.stderr, width=_width(sys.stderr), highlight=False)


def interactive() -> bool:
    """Whether a person watches: both streams on a terminal (no progress bar when piped)."""
    return sys.stdout.isatty() and sys.stderr.isatty()


def default_output() -> str:
    """A table for a person at a terminal, tab-separated lines for a pipe."""
    return "table" if sys.stdout.isatty() else "tsv"


def check_columns(chosen: Sequence[str], known: Sequence[str]) -> None:
    """A usage error naming the known keys when `--columns` names an unknown one."""
    unknown = [c for c in chosen if c not in known]
    if unknown:
        raise click.UsageError(
            f"--columns: unknown column {unknown[0]!r} (known: {', '.join(known)})"
        )


def emit(
    records: Sequence[Mapping[str, Any]],
    fields: Sequence[str],
    columns: Sequence[Column],
    output: str,
    *,
    rows: Sequence[Mapping[str, Any]] | None = None,
    caption: str | None = None,
    empty: str = "nothing found",
    chosen: Sequence[str] = (),
) -> None:
    """Print the records in the chosen format; `fields` is the key order when there are
    no records; a table shows `rows` when given (records plus display-only values such as
    a duration); `chosen` (--columns) picks keys; `empty` is said when there is nothing."""
    shown_rows = list(records if rows is None else rows)
    if chosen:
        known = [*fields, *(c.key for c in columns if c.key not in fields)]
        check_columns(chosen, known)
        records = [{key: record.get(key) for key in chosen} for record in records]
        by_key = {c.key: c for c in columns}
        columns = [by_key.get(key, Column(key, key)) for key in chosen]
        fields = list(chosen)
    if output == "json":
        click.echo(json.dumps(list(records), indent=2, default=str))
    elif output == "ndjson":
        for record in records:
            click.echo(json.dumps(record, default=str))
    elif output == "yaml":
        import yaml

        plain = json.loads(json.dumps(list(records), default=str))
        click.echo(yaml.safe_dump(plain, sort_keys=False, allow_unicode=True), nl=False)
    elif output == "csv":
        click.echo(_csv(records, fields), nl=False)
    elif output == "tsv":
        keys = fields if chosen else [c.key for c in columns]
        for row in records if chosen else shown_rows:
            click.echo("\t".join(_tsv_value(row.get(key)) for key in keys))
    else:
        _table(shown_rows if not chosen else records, columns, caption, empty)


def _csv(records: Sequence[Mapping[str, Any]], fields: Sequence[str]) -> str:
    header = list(records[0]) if records else list(fields)
    for record in records[1:]:
        header += [key for key in record if key not in header]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for record in records:
        writer.writerow([_flat(record.get(field)) for field in header])
    return buffer.getvalue()


def _flat(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    return value


def _tsv_value(value: Any) -> str:
    text = str(_flat(value))
    return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def _table(
    records: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    caption: str | None,
    empty: str,
) -> None:
    console = out_console()
    if not records:
        console.print(caption or empty, style="dim")
        return
    widths = {column.key: _needed(column, records) for column in columns}
    shown = list(columns)
    dropped: list[str] = []
    while sum(widths[c.key] + 2 for c in shown) > console.width:  # padding, separator
        optional = [c for c in shown if c.optional]
        if not optional:
            break
        dropped.insert(0, optional[-1].header)
        shown.remove(optional[-1])
    needed = sum(widths[c.key] + 2 for c in shown)
    if needed > console.width:
        # Narrower than the columns that identify a row: lines longer than the terminal (it
        # wraps them) rather than an id cut short.
        console = Console(file=console.file, width=needed, highlight=False)
    console.print(_build(records, shown, caption, dropped, widths))


def _needed(column: Column, records: Sequence[Mapping[str, Any]]) -> int:
    """The column's width without cutting or wrapping a value (a folding column: up to
    its max_width)."""
    longest = len(column.header)
    for record in records:
        cell = _cell(column, record.get(column.key))
        text = cell.plain if isinstance(cell, Text) else cell
        longest = max(longest, *(len(line) for line in text.splitlines() or [""]))
    if column.fold and column.max_width is not None:
        longest = min(longest, column.max_width)
    return max(longest, column.min_width or 0)


def _build(
    records: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    caption: str | None,
    dropped: Sequence[str],
    widths: Mapping[str, int],
) -> Table:
    if dropped:
        note = f"not shown (too narrow): {', '.join(dropped)}; use --columns or -o json"
        caption = f"{caption}\n{note}" if caption else note
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
            min_width=widths[column.key],
            max_width=column.max_width,
            overflow="fold",
            no_wrap=not column.fold,
        )
    for record in records:
        table.add_row(*(_cell(column, record.get(column.key)) for column in columns))
    return table


def _cell(column: Column, value: Any) -> str | Text:
    if value is None or value == "":
        return Text(MISSING, style="dim")
    if isinstance(value, bool) and column.show is str:
        return "true" if value else "false"
    if isinstance(value, dict | list) and column.show is str:
        return json.dumps(value, default=str)  # as tsv and csv show it, not Python's repr
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
