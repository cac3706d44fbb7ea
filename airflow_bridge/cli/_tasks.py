"""`airflow-bridge runs tasks|logs|clear-tasks`: a run's task instances, their logs, and
clearing chosen ones, on every selected server."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

import click

from airflow_bridge import AsyncClient, ClearResult, LogRecord
from airflow_bridge._runbook_plans import TI_STATES
from airflow_bridge.errors import AirflowBridgeError
from airflow_bridge.fleet import AsyncFleet, FleetResult, ServerOutcome

from ._app import Settings, output_options, servers_of
from ._records import (
    LOG_COLUMNS,
    LOG_FIELDS,
    TASK_COLUMNS,
    TASK_FIELDS,
    TI_COLUMNS,
    TI_FIELDS,
    log_line,
    log_record,
    model_record,
)
from ._render import emit, report
from ._runs import clear_flow, cleared_records, each_client, runs


@runs.command(
    epilog="""\b
Examples:
  airflow-bridge runs tasks etl manual__2024-05-01T00:00:00+00:00
  airflow-bridge runs tasks etl nightly_0501 --failed -o json
  airflow-bridge runs tasks etl nightly_0501 --state running --state queued"""
)
@click.argument("dag_id")
@click.argument("run_id")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(TI_STATES, case_sensitive=False),
    help="Only task instances in this state (repeatable).",
)
@click.option("--failed", is_flag=True, help="Only the failed ones (not upstream_failed).")
@output_options
@click.pass_obj
def tasks(
    settings: Settings, dag_id: str, run_id: str, states: tuple[str, ...], failed: bool
) -> None:
    """A run's task instances on every selected server: state, try, timing, host.

    A run a server does not have is not found there, on Airflow 2 and 3 alike."""
    if failed and states:
        raise click.UsageError("--failed is --state failed: give one or the other")

    async def work(fleet: AsyncFleet) -> FleetResult[Any]:
        if failed:
            return await fleet.task_instances.failed(dag_id, run_id)
        return await fleet.task_instances.list(dag_id, run_id, states=states or None)

    result = settings.run(work, label="listing task instances")
    records = [model_record(ti, TASK_FIELDS) for ti in result]
    answered = sum(outcome.ok for outcome in result.outcomes.values())
    caption = f"{len(records)} task instances from {answered} of {len(result.outcomes)} servers"
    emit(records, TASK_FIELDS, TASK_COLUMNS, settings.output_format, caption=caption,
         empty="no task instances found", chosen=settings.columns)  # fmt: skip
    raise SystemExit(report(result))


#: Formats printed record by record while following (the others are printed at the end).
STREAMED = ("table", "tsv", "ndjson")


@runs.command(
    epilog="""\b
Examples:
  airflow-bridge runs logs etl manual__2024-05-01T00:00:00+00:00 extract
  airflow-bridge -s prod runs logs etl nightly_0501 load --try 2
  airflow-bridge runs logs etl nightly_0501 load --follow --interval 5
  airflow-bridge -o ndjson runs logs etl nightly_0501 load | jq -r .message

\b
Each record is printed as `timestamp level source message` (the parts the server gives;
the server's name first when several servers are selected); Airflow 2's text log is parsed
into the same records as Airflow 3's. json, ndjson, yaml and csv give one object per record.
--follow polls every --interval seconds until the server says the log ended (a running
task), printing records as they come (json, yaml and csv: at the end).""",
)
@click.argument("dag_id")
@click.argument("run_id")
@click.argument("task_id")
@click.option(
    "--try",
    "try_number",
    type=click.IntRange(min=1),
    help="The try to read (default: the latest; nothing if the task never ran).",
)
@click.option(
    "--map-index",
    type=click.IntRange(min=-1),
    default=-1,
    show_default=True,
    help="A mapped task instance's index (-1: not mapped).",
)
@click.option("--follow", "-f", is_flag=True, help="Keep reading until the log ends.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=2.0,
    show_default=True,
    help="Seconds between polls with --follow.",
)
@output_options
@click.pass_obj
def logs(
    settings: Settings,
    dag_id: str,
    run_id: str,
    task_id: str,
    try_number: int | None,
    map_index: int,
    follow: bool,
    interval: float,
) -> None:
    """A task instance's log on every selected server, as records."""
    where = {"dag_id": dag_id, "run_id": run_id, "task_id": task_id, "map_index": map_index,
             "try_number": try_number}  # fmt: skip
    several = len(servers_of(settings)) > 1
    output = settings.output_format
    streamed = output in STREAMED and not (output == "table" and settings.columns)
    printed: list[dict[str, Any]] = []

    def show(name: str, record: LogRecord) -> None:
        entry = log_record(name, where, record)
        printed.append(entry)
        if streamed and follow:
            _print_logs(settings, [entry], several=several)

    result: FleetResult[Any]
    if follow:
        result = _follow(settings, where, interval, show)
    else:
        result = settings.run(
            lambda f: f.task_instances.logs(
                dag_id, run_id, task_id, try_number=try_number, map_index=map_index
            ),
            label="reading logs",
        )
        for name, records in result.per_server.items():
            for record in records:
                show(name, record)
    if not (streamed and follow):
        _print_logs(settings, printed, several=several)
    if not printed:
        click.echo("no log records", err=True)
    raise SystemExit(report(result))


def _print_logs(settings: Settings, records: list[dict[str, Any]], *, several: bool) -> None:
    """Log lines on a terminal (`timestamp level source message`), else the chosen format."""
    if settings.output_format == "table" and not settings.columns:
        for record in records:
            click.echo(log_line(record, with_server=several))
        return
    emit(records, LOG_FIELDS, LOG_COLUMNS, settings.output_format, chosen=settings.columns,
         empty="no log records")  # fmt: skip


def _follow(
    settings: Settings,
    where: dict[str, Any],
    interval: float,
    show: Callable[[str, LogRecord], None],
) -> FleetResult[None]:
    """Follow the log on every server at once (the fleet has no streams: a client of its
    own per server); each server's error is its outcome."""
    outcomes: dict[str, ServerOutcome] = {}

    async def one(name: str, client: AsyncClient) -> None:
        count, error = 0, None
        try:
            records = client.task_instances.iter_logs(
                where["dag_id"], where["run_id"], where["task_id"],
                try_number=where["try_number"], map_index=where["map_index"],
                follow=True, interval=interval,
            )  # fmt: skip
            async for record in records:
                show(name, record)
                count += 1
        except AirflowBridgeError as exc:
            error = exc
        outcomes[name] = ServerOutcome(server=name, elapsed=0.0, count=count, error=error)

    servers = servers_of(settings)
    timeout = settings.target.settings.get("timeout")
    asyncio.run(each_client(servers, timeout, one))
    return FleetResult(items=(), per_server={}, outcomes={n: outcomes[n] for n in servers})


@runs.command(
    "clear-tasks",
    epilog="""\b
Examples:
  airflow-bridge runs clear-tasks etl nightly_0501 --only-failed          # dry run
  airflow-bridge runs clear-tasks etl nightly_0501 --only-failed --yes
  airflow-bridge runs clear-tasks etl nightly_0501 --task load --downstream --yes

\b
Without --yes: a dry run lists the task instances that would be cleared; on a terminal
it then asks whether to clear them. With --yes: cleared at once, and their run is queued
again (Airflow 2.4+ and 3).""",
)
@click.argument("dag_id")
@click.argument("run_id")
@click.option(
    "--task", "task_ids", multiple=True, metavar="TASK_ID", help="Only this task (repeat)."
)
@click.option("--only-failed", is_flag=True, help="Only failed and upstream_failed task instances.")
@click.option("--downstream", is_flag=True, help="Also the tasks downstream of the chosen ones.")
@click.option("--yes", "-y", is_flag=True, help="Really clear, without asking.")
@output_options
@click.pass_obj
def clear_tasks(
    settings: Settings,
    dag_id: str,
    run_id: str,
    task_ids: tuple[str, ...],
    only_failed: bool,
    downstream: bool,
    yes: bool,
) -> None:
    """Clear chosen task instances of a run so they run again; without --yes, only show which."""

    def send(fleet: AsyncFleet, dry_run: bool) -> Awaitable[FleetResult[ClearResult]]:
        return fleet.task_instances.clear(
            dag_id, run_id, task_ids=task_ids or None, only_failed=only_failed,
            include_downstream=downstream, dry_run=dry_run,
        )  # fmt: skip

    def show(result: FleetResult[ClearResult]) -> NoReturn:
        records = cleared_records(result)
        servers = list(dict.fromkeys(record["server"] for record in records))
        caption = f"cleared {len(records)} task instances on {', '.join(servers)}"
        emit(records, TI_FIELDS, TI_COLUMNS, settings.output_format, caption=caption,
             empty="nothing cleared", chosen=settings.columns)  # fmt: skip
        if settings.output_format != "table":
            click.echo(caption if records else "nothing cleared", err=True)
        raise SystemExit(report(result))

    clear_flow(settings, yes, send, show)
