"""`airflow-bridge runs ...`: the facade's DagRun operations on every selected server."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, NoReturn

import anyio
import click

from airflow_bridge import DagRun, RunType
from airflow_bridge.errors import AirflowBridgeError, WaitTimeout
from airflow_bridge.fleet import MERGEABLE, AsyncFleet, FleetResult, ServerOutcome

from ._app import Settings, cli
from ._records import (
    EVENT_COLUMNS,
    EVENT_FIELDS,
    RUN_COLUMNS,
    RUN_FIELDS,
    TI_COLUMNS,
    TI_FIELDS,
    event_record,
    run_record,
    run_rows,
    ti_record,
)
from ._render import emit, err_console, interactive, report
from ._when import when_option

STATES = ("queued", "running", "success", "failed")
SETTABLE = ("queued", "success", "failed")
DATE_FIELDS = ("start_date", "logical_date", "end_date", "updated_at", "run_after")
ORDERS = (*(f"-{f}" for f in MERGEABLE), *MERGEABLE)


def show_runs(
    settings: Settings, result: FleetResult[DagRun], caption: str | None = None
) -> NoReturn:
    runs = list(result)
    records = [run_record(run) for run in runs]
    emit(records, RUN_FIELDS, RUN_COLUMNS, settings.output, rows=run_rows(runs), caption=caption)
    raise SystemExit(report(result))


@cli.group(
    epilog="""\b
Examples:
  airflow-bridge runs list --state failed --since 1d
  airflow-bridge runs trigger etl --conf '{"day": "2024-05-01"}'
  airflow-bridge runs wait etl manual__2024-05-01T00:00:00+00:00"""
)
def runs() -> None:
    """DAG runs on every selected server: list, get, trigger, change, clear, delete, wait."""


@runs.command(
    "list",
    epilog="""\b
Examples:
  airflow-bridge runs list --state failed --since 1d
  airflow-bridge runs list -d etl -d report --since yesterday --order-by -logical_date
  airflow-bridge -s tag:eu -o csv runs list --state failed --all > failed.csv
  airflow-bridge -o ndjson runs list --since 2024-05-01 --until 2024-05-02T12:00Z

\b
WHEN is an ISO date or time (local time without an offset), now, today, yesterday, or an age
such as 30m, 2h, 1d, 2w. Runs are merged across servers in --order-by order (runs without
that date last), and --limit applies to the merged list.""",
)
@click.option(
    "--dag",
    "-d",
    "dags",
    multiple=True,
    metavar="DAG_ID",
    help="Only this DAG (repeat for several).",
)
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(STATES),
    help="Only runs in this state (repeatable).",
)
@click.option(
    "--run-type",
    "run_types",
    multiple=True,
    type=click.Choice([t.value for t in RunType]),
    help="Only runs of this type (repeatable).",
)
@click.option(
    "--since",
    callback=when_option,
    metavar="WHEN",
    help="Only runs whose --date-field is at or after WHEN.",
)
@click.option(
    "--until",
    callback=when_option,
    metavar="WHEN",
    help="Only runs whose --date-field is at or before WHEN.",
)
@click.option(
    "--date-field",
    type=click.Choice(DATE_FIELDS),
    default="start_date",
    show_default=True,
    help="The date --since/--until filter on.",
)
@click.option(
    "--order-by",
    type=click.Choice(ORDERS),
    default="-start_date",
    show_default=True,
    metavar="[-]FIELD",
    help=f"One of {', '.join(MERGEABLE)}; '-' for descending.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=100,
    show_default=True,
    help="At most this many runs in all.",
)
@click.option("--all", "all_runs", is_flag=True, help="No limit.")
@click.option("--run-id-pattern", metavar="PATTERN", help="SQL LIKE pattern (Airflow 3.1+).")
@click.option("--dag-id-pattern", metavar="PATTERN", help="SQL LIKE pattern (Airflow 3.2+).")
@click.pass_obj
def list_runs(
    settings: Settings,
    /,
    dags: tuple[str, ...],
    since: Any,
    until: Any,
    date_field: str,
    limit: int,
    all_runs: bool,
    **options: Any,
) -> None:
    """Runs from every selected server, in one merged list."""
    filters = {name: value for name, value in options.items() if value}
    if since is not None:
        filters[f"{date_field}_gte"] = since
    if until is not None:
        filters[f"{date_field}_lte"] = until
    if len(dags) > 1:
        filters["dag_ids"] = dags
    dag_id = dags[0] if len(dags) == 1 else "~"
    cap = None if all_runs else limit

    async def work(fleet: AsyncFleet) -> FleetResult[DagRun]:
        return await fleet.dag_runs.list(dag_id, limit=cap, **filters)

    result = settings.run(work, label="listing runs")
    found = sum(outcome.count for outcome in result.outcomes.values())
    answered = sum(outcome.ok for outcome in result.outcomes.values())
    caption = f"{len(result)} runs from {answered} of {len(result.outcomes)} servers"
    if found > len(result):
        caption += f" (first {len(result)}: --limit N or --all for more)"
    show_runs(settings, result, caption)


@runs.command(
    epilog="""\b
Examples:
  airflow-bridge runs get etl manual__2024-05-01T00:00:00+00:00
  airflow-bridge -s prod -o json runs get etl nightly_2024_05_01"""
)
@click.argument("dag_id")
@click.argument("run_id")
@click.pass_obj
def get(settings: Settings, dag_id: str, run_id: str) -> None:
    """One run, from every selected server that has it."""
    show_runs(settings, settings.run(lambda f: f.dag_runs.get(dag_id, run_id), label="fetching"))


def _conf(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dict[str, Any] | None:
    if value is None:
        return None
    try:
        text = Path(value[1:]).read_text(encoding="utf-8") if value.startswith("@") else value
        conf = json.loads(text)
    except (OSError, ValueError) as exc:
        raise click.BadParameter(f"not a JSON object or @file ({exc})") from None
    if not isinstance(conf, dict):
        raise click.BadParameter('must be a JSON object, e.g. \'{"day": "2024-05-01"}\'')
    return conf


@runs.command(
    epilog="""\b
Examples:
  airflow-bridge runs trigger etl
  airflow-bridge -s tag:eu runs trigger backfill --conf '{"day": "2024-05-01"}' --note "INC-42"
  airflow-bridge runs trigger etl --run-id rerun_0501 --logical-date 2024-05-01 --conf @c.json
"""
)
@click.argument("dag_id")
@click.option("--run-id", help="The run's id (default: the server makes one).")
@click.option(
    "--logical-date", callback=when_option, metavar="WHEN", help="Default: the server chooses."
)
@click.option("--conf", callback=_conf, metavar="JSON|@FILE", help="The run's conf object.")
@click.option("--note", help="A note on the run (Airflow 2.5+).")
@click.pass_obj
def trigger(settings: Settings, /, dag_id: str, **options: Any) -> None:
    """Start a run of DAG_ID on every selected server."""
    show_runs(
        settings, settings.run(lambda f: f.dag_runs.trigger(dag_id, **options), label="triggering")
    )


@runs.command(
    "set-state",
    epilog="""\b
Examples:
  airflow-bridge runs set-state etl manual__2024-05-01T00:00:00+00:00 failed
  airflow-bridge -s legacy runs set-state etl nightly_0501 success""",
)
@click.argument("dag_id")
@click.argument("run_id")
@click.argument("state", type=click.Choice(SETTABLE))
@click.pass_obj
def set_state(settings: Settings, dag_id: str, run_id: str, state: str) -> None:
    """Mark a run queued, success or failed (servers refuse running)."""
    show_runs(
        settings,
        settings.run(lambda f: f.dag_runs.set_state(dag_id, run_id, state), label="updating"),
    )


@runs.command(
    epilog="""\b
Examples:
  airflow-bridge runs note etl manual__2024-05-01T00:00:00+00:00 "rerun after INC-42"
  airflow-bridge runs note etl nightly_0501 ""          # clear the note"""
)
@click.argument("dag_id")
@click.argument("run_id")
@click.argument("text")
@click.pass_obj
def note(settings: Settings, dag_id: str, run_id: str, text: str) -> None:
    """Set a run's note (Airflow 2.5+ and 3)."""
    show_runs(
        settings,
        settings.run(lambda f: f.dag_runs.set_note(dag_id, run_id, text), label="updating"),
    )


@runs.command(
    epilog="""\b
Examples:
  airflow-bridge runs clear etl manual__2024-05-01T00:00:00+00:00           # dry run
  airflow-bridge runs clear etl manual__2024-05-01T00:00:00+00:00 --only-failed --yes
"""
)
@click.argument("dag_id")
@click.argument("run_id")
@click.option("--only-failed", is_flag=True, help="Only the failed task instances (Airflow 3).")
@click.option("--yes", "-y", is_flag=True, help="Really clear (default: a dry run).")
@click.pass_obj
def clear(settings: Settings, dag_id: str, run_id: str, only_failed: bool, yes: bool) -> None:
    """Clear a run's task instances so they run again; without --yes, only show which."""
    result = settings.run(
        lambda f: f.dag_runs.clear(dag_id, run_id, dry_run=not yes, only_failed=only_failed),
        label="clearing" if yes else "dry run",
    )
    if yes:
        cleared = FleetResult(
            items=tuple(c.dag_run for c in result if c.dag_run is not None),
            per_server={},
            outcomes=result.outcomes,
        )
        show_runs(settings, cleared)
    records = [
        ti_record(name, ti)
        for name, results in result.per_server.items()
        for cleared_run in results
        for ti in cleared_run.task_instances
    ]
    caption = f"dry run: {len(records)} task instances would be cleared; add --yes to clear them"
    emit(records, TI_FIELDS, TI_COLUMNS, settings.output, caption=caption)
    raise SystemExit(report(result))


@runs.command(
    epilog="""\b
Examples:
  airflow-bridge runs delete etl manual__2024-05-01T00:00:00+00:00
  airflow-bridge -s legacy runs delete etl test_run --yes"""
)
@click.argument("dag_id")
@click.argument("run_id")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def delete(settings: Settings, dag_id: str, run_id: str, yes: bool) -> None:
    """Delete a run (and its task instances) on every selected server."""
    _, selected = settings.build()
    if not yes:
        click.confirm(
            f"Delete {dag_id}/{run_id} on {', '.join(selected.names)}?", abort=True, err=True
        )
    result = settings.run(lambda f: f.dag_runs.delete(dag_id, run_id), label="deleting")
    records = [
        {"server": name, "dag_id": dag_id, "run_id": run_id, "deleted": outcome.ok}
        for name, outcome in result.outcomes.items()
    ]
    deleted = sum(outcome.ok for outcome in result.outcomes.values())
    fields = ("server", "dag_id", "run_id", "deleted")
    caption = f"deleted on {deleted} of {len(records)} servers"
    emit(records, fields, TI_COLUMNS[:3], settings.output, caption=caption)
    raise SystemExit(report(result))


@runs.command(
    epilog="""\b
Examples:
  airflow-bridge runs events consumer asset_triggered__2024-05-01T00:00:00+00:00
  airflow-bridge -o json runs events consumer some_run_id"""
)
@click.argument("dag_id")
@click.argument("run_id")
@click.pass_obj
def events(settings: Settings, dag_id: str, run_id: str) -> None:
    """The asset (dataset) events that triggered a run."""
    result = settings.run(lambda f: f.dag_runs.upstream_events(dag_id, run_id), label="fetching")
    records = [
        event_record(name, event) for name, found in result.per_server.items() for event in found
    ]
    emit(records, EVENT_FIELDS, EVENT_COLUMNS, settings.output)
    raise SystemExit(report(result))


@runs.command(
    epilog="""\b
Examples:
  airflow-bridge runs wait etl manual__2024-05-01T00:00:00+00:00
  airflow-bridge runs wait etl nightly_0501 --timeout 3600 --interval 30 -o json"""
)
@click.argument("dag_id")
@click.argument("run_id")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=600,
    show_default=True,
    help="Give up after this many seconds.",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=5,
    show_default=True,
    help="Seconds between polls.",
)
@click.pass_obj
def wait(settings: Settings, dag_id: str, run_id: str, timeout: float, interval: float) -> None:
    """Wait until the run succeeds or fails on every selected server, with a live status line."""

    async def work(fleet: AsyncFleet) -> FleetResult[DagRun]:
        return await _wait(fleet, dag_id, run_id, timeout, interval)

    show_runs(settings, settings.run(work, label=None))


async def _wait(
    fleet: AsyncFleet, dag_id: str, run_id: str, timeout: float, interval: float
) -> FleetResult[DagRun]:
    """Poll every server with `get` (so the status line can show each one's state) until
    each run is finished or its server failed; runs still going at the deadline time out."""
    started = time.monotonic()
    latest: dict[str, DagRun] = {}
    errors: dict[str, AirflowBridgeError] = {}
    pending = fleet
    console = err_console()
    with console.status("", spinner="dots") if interactive() else _Quiet() as status:
        while True:
            result = await pending.dag_runs.get(dag_id, run_id)
            latest.update((run.server, run) for run in result)
            errors.update(result.errors)
            going = [n for n in pending.names if n not in errors and not latest[n].is_finished]
            status.update(_status_line(dag_id, run_id, fleet.names, latest, errors, started))
            if not going:
                break
            if time.monotonic() - started + interval > timeout:
                for name in going:
                    errors[name] = WaitTimeout(
                        f"{dag_id}/{run_id} is still {latest[name].state} after {timeout:g} s",
                        last=latest[name],
                    )
                break
            pending = fleet.select(*going)
            await anyio.sleep(interval)
    elapsed = time.monotonic() - started
    outcomes = {
        name: ServerOutcome(
            server=name, elapsed=elapsed, count=int(name in latest), error=errors.get(name)
        )
        for name in fleet.names
    }
    ok = [latest[n] for n in fleet.names if n in latest and n not in errors]
    return FleetResult(items=tuple(ok), per_server={r.server: (r,) for r in ok}, outcomes=outcomes)


def _status_line(
    dag_id: str,
    run_id: str,
    names: tuple[str, ...],
    latest: dict[str, DagRun],
    errors: dict[str, AirflowBridgeError],
    started: float,
) -> str:
    parts = []
    for name in names:
        if name in errors:
            parts.append(f"{name}: [red]error[/]")
        elif name in latest:
            parts.append(f"{name}: {latest[name].state}")
    waited = time.monotonic() - started
    return f"waiting for {dag_id}/{run_id} ({waited:.0f}s) · " + " · ".join(parts)


class _Quiet:
    """Stands in for a status line when nobody watches a terminal."""

    def __enter__(self) -> _Quiet:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def update(self, _text: str) -> None:
        return None
