"""`airflow-bridge migrate check|fix`: what breaks on Airflow 3 in code written for Airflow 2,
and the safe rewrites. Works on files only: no server, so the fleet options do not apply."""

from __future__ import annotations

from pathlib import Path

import click

from airflow_bridge.migrate import (
    FORMATTERS,
    MissingExtra,
    fix_source,
    python_files,
    read_source,
    scan_paths,
    unified_diff,
)

from ._app import cli
from ._render import Exit

PATHS = click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path)
)


@cli.group(
    epilog="""\b
Examples:
  airflow-bridge migrate check src/ scripts/etl.py
  airflow-bridge migrate check --format sarif src/ > migrate.sarif
  airflow-bridge migrate fix src/            # shows the diff
  airflow-bridge migrate fix --write src/    # applies it"""
)
def migrate() -> None:
    """Find (and fix) code that breaks on Airflow 3: apache-airflow-client 2.x calls,
    execution_date, /api/v1 URLs, basic auth, dataset names."""


@migrate.command(
    epilog="""\b
Exit codes: 0 nothing found; 1 findings; 2 usage error (e.g. a missing path).
Each finding: FILE:LINE:COL: RULE [name] what breaks. Use: the replacement."""
)
@PATHS
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(FORMATTERS)),
    default="text",
    show_default=True,
    help="sarif: for CI code annotations.",
)
def check(paths: tuple[Path, ...], fmt: str) -> None:
    """Scan Python files (parsed, never run) for uses that break on Airflow 3."""
    findings = scan_paths(paths)
    click.echo(FORMATTERS[fmt](findings))
    raise SystemExit(1 if findings else Exit.OK)


@migrate.command(
    epilog="""\b
Rewrites only what is safe: imports of apache-airflow-client 2.x become imports of
airflow_bridge.compat.v1 (the same names, on Airflow 2 and 3) when the layer has every 2.x
name the file uses, and execution_date keywords become logical_date in calls tied to
Airflow's client or airflow_bridge by the file's imports. Everything else is left for
`migrate check` to report. Files keep their encoding, BOM and line endings.
Exit codes: 0 done (or nothing to do); 1 findings remain that need a person (an unreadable
file included); 2 usage error."""
)
@PATHS
@click.option("--write", is_flag=True, help="Write the changes (default: print a unified diff).")
def fix(paths: tuple[Path, ...], write: bool) -> None:
    """Rewrite the safe cases (needs the `migrate` extra: pip install 'airflow-bridge[migrate]')."""
    changed = 0
    for path in python_files(paths):
        try:
            before, encoding = read_source(path)
        except (SyntaxError, UnicodeDecodeError) as exc:
            click.echo(f"{path}: skipped, it cannot be decoded: {exc}", err=True)
            continue  # `check` below reports it (AB000), so the exit code is 1
        try:
            after = fix_source(before, str(path))
        except MissingExtra as exc:
            raise click.UsageError(str(exc)) from None
        if after == before:
            continue
        changed += 1
        if write:
            path.write_bytes(after.encode(encoding))
        else:
            click.echo(unified_diff(before, after, str(path)), nl=False)
    remaining = [f for f in scan_paths(paths) if not (write is False and f.fix)]
    verb = "rewrote" if write else "would rewrite"
    click.echo(
        f"{verb} {changed} file(s); {len(remaining)} finding(s) need a person "
        "(see `airflow-bridge migrate check`)",
        err=True,
    )
    raise SystemExit(1 if remaining else Exit.OK)
