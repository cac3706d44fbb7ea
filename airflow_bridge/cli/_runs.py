"""`airflow-bridge runs ...`: the facade's DagRun operations on every selected server."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, NoReturn

import anyio
import attrs
import click

from airflow_bridge import AsyncClient, ClearResult, DagRun, RunType, TaskInstance
from airflow_bridge.errors import AirflowBridgeError, NotFound
from airflow_bridge.fleet import MERGEABLE, AsyncFleet, FleetResult, Server, ServerOutcome

from ._app import Settings, cli, output_options, servers_of
from ._records import (
    DELETE_COLUMNS,
    DELETE_FIELDS,
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
from ._render import Exit, emit, err_console, interactive, report
from ._safety import confirm_write
from ._when import when_option

STATES = ("queued", "running", "success", "failed")
SETTABLE = ("queued", "success", "failed")
DATE_FIELDS = ("start_date", "logical_date", "end_date", "updated_at", "run_after")
ORDERS = (*(f"-{f}" for f in MERGEABLE), *MERGEABLE)


def show_runs(
    settings: Settings,
    result: FleetResult[DagRun],
    caption: str | None = None,
    *,
    empty: str = "nothing found",
) -> NoReturn:
    runs = list(result)
    records = [run_record(run) for run in runs]
    emit(records, RUN_FIELDS, RUN_COLUMNS, settings.output_format, rows=run_rows(runs),
         caption=caption, empty=empty, chosen=settings.columns)  # fmt: skip
    raise SystemExit(report(result))


def confirm(settings: Settings, what: str, yes: bool, *, always: bool = False) -> None:
    confirm_write(
        what, servers_of(settings), yes=yes, explicit=bool(settings.select), always=always
    )


YES = click.option(
    "--yes", "-y", is_flag=True, help="Do not ask before writing to several servers."
)


@cli.group(
    epilog="""\b
Examples:
  airflow-bridge runs list --state failed --since 1d
  airflow-bridge runs trigger etl --conf '{"day": "2024-05-01"}'
  airflow-bridge runs wait etl manual__2024-05-01T00:00:00+00:00"""
)
@output_options
def runs() -> None:
    """DAG runs on every selected server: list, get, trigger, change, clear, delete, wait;
    a run's task instances (tasks, clear-tasks) and their logs."""


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
    type=click.Choice(STATES, case_sensitive=False),
    help="Only runs in this state (repeatable).",
)
@click.option(
    "--run-type",
    "run_types",
    multiple=True,
    type=click.Choice([*(t.value for t in RunType), "dataset_triggered"], case_sensitive=False),
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
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="At most this many runs in all.",
)
@click.option("--all", "all_runs", is_flag=True, help="No limit.")
@click.option("--run-id-pattern", metavar="PATTERN", help="SQL LIKE pattern (Airflow 3.1+).")
@click.option("--dag-id-pattern", metavar="PATTERN", help="SQL LIKE pattern (Airflow 3.2+).")
@output_options
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
    if since is not None and until is not None and since > until:
        raise click.UsageError(
            f"--since ({since:%Y-%m-%d %H:%M}) is after --until ({until:%Y-%m-%d %H:%M})"
        )
    limit_given = click.get_current_context().get_parameter_source("limit")
    if all_runs and limit_given is click.core.ParameterSource.COMMANDLINE:
        raise click.UsageError("--all and --limit contradict each other: give one")
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
@output_options
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


WAIT_HELP = """\b
Exit codes:
  0  the run succeeded on every selected server
  1  it ended failed on some server (its final state is printed)
  4  it was still going at --timeout (the last state seen is printed)
  3  some servers could not be asked (1: none could)
In JSON each run has "timed_out" (its "state" is the last one seen) and "failed_tasks"
(the failed task instances of a failed run; null otherwise)."""


def _wait_options(command: Any) -> Any:
    command = click.option(
        "--interval",
        type=click.FloatRange(min=0.1),
        default=5,
        show_default=True,
        help="Seconds between polls.",
    )(command)
    return click.option(
        "--timeout",
        "wait_timeout",
        type=click.FloatRange(min=0),
        default=600,
        show_default=True,
        help="Give up waiting after this many seconds (exit 4).",
    )(command)


@runs.command(
    epilog=f"""\b
Examples:
  airflow-bridge runs trigger etl
  airflow-bridge -s tag:eu runs trigger backfill --conf '{{"day": "2024-05-01"}}' --note "INC-42"
  airflow-bridge runs trigger etl --run-id rerun_0501 --logical-date 2024-05-01 --conf @c.json
  airflow-bridge runs trigger etl --wait --timeout 3600     # in CI: exit 1 if it fails

{WAIT_HELP}"""
)
@click.argument("dag_id")
@click.option(
    "--run-id",
    help="The run's id (default: one the client makes, manual__<time>_<random>, so a resend "
    "after a lost answer cannot make a second run).",
)
@click.option(
    "--logical-date", callback=when_option, metavar="WHEN", help="Default: the server chooses."
)
@click.option("--conf", callback=_conf, metavar="JSON|@FILE", help="The run's conf object.")
@click.option("--note", help="A note on the run (Airflow 2.5+).")
@click.option("--wait", "then_wait", is_flag=True, help="Then wait until the runs finish.")
@click.option(
    "--unpause", is_flag=True, help="Unpause DAG_ID first where it is paused (else: a warning)."
)
@_wait_options
@YES
@output_options
@click.pass_obj
def trigger(
    settings: Settings,
    /,
    dag_id: str,
    then_wait: bool,
    unpause: bool,
    wait_timeout: float,
    interval: float,
    yes: bool,
    **options: Any,
) -> None:
    """Start a run of DAG_ID on every selected server (asks first if there are several).

    A run of a paused DAG stays queued: the command says on which servers DAG_ID is paused,
    or with --unpause unpauses it there first."""
    confirm(settings, f"trigger {dag_id}", yes)
    if not then_wait:

        async def fire(fleet: AsyncFleet) -> FleetResult[DagRun]:
            await _paused_check(fleet, dag_id, unpause=unpause)
            return await fleet.dag_runs.trigger(dag_id, **options)

        show_runs(settings, settings.run(fire, label="triggering"), empty="nothing triggered")

    async def work(fleet: AsyncFleet) -> Waited:
        await _paused_check(fleet, dag_id, unpause=unpause)
        triggered = await fleet.dag_runs.trigger(dag_id, **options)
        run_ids = {run.server: run.run_id for run in triggered}
        if not run_ids:
            return Waited({}, set(), dict(triggered.errors), 0.0)
        waited = await _wait(fleet.select(*run_ids), dag_id, run_ids, wait_timeout, interval)
        waited = await waited.with_failed_tasks(fleet)
        return attrs.evolve(waited, errors={**triggered.errors, **waited.errors})

    show_waited(settings, dag_id, settings.run(work, label=None), empty="nothing triggered")


async def each_client(
    servers: Mapping[str, Server],
    timeout: float | None,
    work: Callable[[str, AsyncClient], Awaitable[None]],
) -> None:
    """`work(name, client)` on a client of its own per server, concurrently, for what the
    fleet does not expose (the streams: following a log); clients are closed afterwards."""

    async def one(name: str, server: Server) -> None:
        client, http = server.connect(timeout)
        try:
            await work(name, client)
        finally:
            await client.aclose()
            if server.transport is None:  # a given transport is the fleet's to close
                await http.aclose()

    async with anyio.create_task_group() as group:
        for name, server in servers.items():
            group.start_soon(one, name, server)


async def _paused_check(fleet: AsyncFleet, dag_id: str, *, unpause: bool) -> None:
    """Warn where DAG_ID is paused (its runs would stay queued), or unpause it there; a
    server that cannot answer is left to the trigger to report."""
    fleet = fleet.with_progress(None)  # the command's progress counts its own call
    found = await fleet.dags.get(dag_id)
    paused = [dag.server for dag in found if dag.is_paused]
    console = err_console()
    if paused and not unpause:
        console.print(
            f"warning: {dag_id} is paused on {', '.join(sorted(paused))}: its run will stay "
            "queued until the DAG is unpaused (--unpause does it first)",
            style="yellow",
        )
    if not unpause:
        return
    refused = dict(found.errors)
    if paused:
        done = await fleet.select(*paused).dags.unpause(dag_id)
        refused |= done.errors
        if done.items:
            console.print(f"unpaused {dag_id} on {', '.join(sorted(d.server for d in done))}")
    for name, exc in refused.items():
        console.print(
            f"warning: could not unpause {dag_id} on {name} ({type(exc).__name__}: {exc})",
            style="yellow",
        )


def ti_label(ti: TaskInstance) -> str:
    """`task_id`, with `[map_index]` when mapped."""
    return ti.task_id + (f"[{ti.map_index}]" if ti.map_index >= 0 else "")


@runs.command(
    "set-state",
    epilog="""\b
Examples:
  airflow-bridge runs set-state etl manual__2024-05-01T00:00:00+00:00 failed
  airflow-bridge -s legacy runs set-state etl nightly_0501 success""",
)
@click.argument("dag_id")
@click.argument("run_id")
@click.argument("state", type=click.Choice(SETTABLE, case_sensitive=False))
@YES
@output_options
@click.pass_obj
def set_state(settings: Settings, dag_id: str, run_id: str, state: str, yes: bool) -> None:
    """Mark a run queued, success or failed (servers refuse running)."""
    confirm(settings, f"set {dag_id}/{run_id} {state}", yes)
    show_runs(
        settings,
        settings.run(lambda f: f.dag_runs.set_state(dag_id, run_id, state), label="updating"),
        empty="nothing changed",
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
@YES
@output_options
@click.pass_obj
def note(settings: Settings, dag_id: str, run_id: str, text: str, yes: bool) -> None:
    """Set a run's note (Airflow 2.5+ and 3)."""
    confirm(settings, f"set the note of {dag_id}/{run_id}", yes)
    show_runs(
        settings,
        settings.run(lambda f: f.dag_runs.set_note(dag_id, run_id, text), label="updating"),
        empty="nothing changed",
    )


@runs.command(
    epilog="""\b
Examples:
  airflow-bridge runs clear etl manual__2024-05-01T00:00:00+00:00           # dry run
  airflow-bridge runs clear etl manual__2024-05-01T00:00:00+00:00 --only-failed --yes

\b
Without --yes: a dry run lists the task instances that would be cleared; on a terminal
it then asks whether to clear them. With --yes: cleared at once."""
)
@click.argument("dag_id")
@click.argument("run_id")
@click.option("--only-failed", is_flag=True, help="Only the failed task instances (Airflow 3).")
@click.option("--yes", "-y", is_flag=True, help="Really clear, without asking.")
@output_options
@click.pass_obj
def clear(settings: Settings, dag_id: str, run_id: str, only_failed: bool, yes: bool) -> None:
    """Clear a run's task instances so they run again; without --yes, only show which."""

    def send(fleet: AsyncFleet, dry_run: bool) -> Awaitable[FleetResult[ClearResult]]:
        return fleet.dag_runs.clear(dag_id, run_id, dry_run=dry_run, only_failed=only_failed)

    clear_flow(
        settings, yes, send, lambda r: show_runs(settings, _cleared(r), empty="nothing cleared")
    )


Clearing = Callable[[AsyncFleet, bool], Awaitable[FleetResult[ClearResult]]]


def clear_flow(
    settings: Settings,
    yes: bool,
    send: Clearing,
    show: Callable[[FleetResult[ClearResult]], NoReturn],
) -> NoReturn:
    """`send(fleet, dry_run)`: with --yes at once; else a dry run lists the task instances
    that would be cleared, then (on a terminal) asks, and clears on the servers that have
    some. `show` prints what a real clear returned and exits."""
    if yes:
        show(settings.run(lambda f: send(f, False), label="clearing"))

    async def work(fleet: AsyncFleet) -> tuple[Exit, FleetResult[ClearResult] | None]:
        dry = await send(fleet, True)
        records = cleared_records(dry)
        asking = sys.stdin.isatty() and bool(records)
        caption = f"dry run: {len(records)} task instances would be cleared"
        caption += "" if asking else "; add --yes to clear them"
        emit(records, TI_FIELDS, TI_COLUMNS, settings.output_format, chosen=settings.columns,
             caption=caption, empty="dry run: nothing would be cleared")  # fmt: skip
        if settings.output_format != "table":
            click.echo(caption if records else "dry run: nothing would be cleared", err=True)
        code = report(dry)
        if not asking:
            return code, None
        names = sorted({record["server"] for record in records}, key=fleet.names.index)
        click.confirm(f"Clear them on {', '.join(names)}?", abort=True, err=True)
        return code, await send(fleet.select(*names), False)

    code, cleared = settings.run(work, label=None)
    if cleared is None:
        raise SystemExit(code)
    show(cleared)


def cleared_records(result: FleetResult[ClearResult]) -> list[dict[str, Any]]:
    """One record per task instance a clear touched (or would), server by server."""
    return [
        ti_record(name, ti)
        for name, results in result.per_server.items()
        for cleared_run in results
        for ti in cleared_run.task_instances
    ]


def _cleared(result: FleetResult[Any]) -> FleetResult[DagRun]:
    return FleetResult(
        items=tuple(c.dag_run for c in result if c.dag_run is not None),
        per_server={},
        outcomes=result.outcomes,
    )


@runs.command(
    epilog="""\b
Examples:
  airflow-bridge runs delete etl manual__2024-05-01T00:00:00+00:00
  airflow-bridge -s legacy runs delete etl test_run --yes"""
)
@click.argument("dag_id")
@click.argument("run_id")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@output_options
@click.pass_obj
def delete(settings: Settings, dag_id: str, run_id: str, yes: bool) -> None:
    """Delete a run (and its task instances) on every selected server; a status per server."""
    confirm(settings, f"delete {dag_id}/{run_id}", yes, always=True)
    result = settings.run(lambda f: f.dag_runs.delete(dag_id, run_id), label="deleting")
    records = [
        {
            "server": name,
            "dag_id": dag_id,
            "run_id": run_id,
            "deleted": outcome.ok,
            "status": "deleted"
            if outcome.ok
            else "not found"
            if isinstance(outcome.error, NotFound)
            else type(outcome.error).__name__,
        }
        for name, outcome in result.outcomes.items()
    ]
    deleted = sum(outcome.ok for outcome in result.outcomes.values())
    caption = f"deleted on {deleted} of {len(records)} servers" if deleted else "nothing deleted"
    emit(records, DELETE_FIELDS, DELETE_COLUMNS, settings.output_format, caption=caption,
         chosen=settings.columns)  # fmt: skip
    if not deleted:
        click.echo("nothing deleted", err=True)
    raise SystemExit(report(result))


@runs.command(
    epilog="""\b
Examples:
  airflow-bridge runs events consumer asset_triggered__2024-05-01T00:00:00+00:00
  airflow-bridge -o json runs events consumer some_run_id"""
)
@click.argument("dag_id")
@click.argument("run_id")
@output_options
@click.pass_obj
def events(settings: Settings, dag_id: str, run_id: str) -> None:
    """The asset (dataset) events that triggered a run."""
    result = settings.run(lambda f: f.dag_runs.upstream_events(dag_id, run_id), label="fetching")
    records = [
        event_record(name, event) for name, found in result.per_server.items() for event in found
    ]
    emit(records, EVENT_FIELDS, EVENT_COLUMNS, settings.output_format, chosen=settings.columns)
    raise SystemExit(report(result))


@runs.command(
    epilog=f"""\b
Examples:
  airflow-bridge runs wait etl manual__2024-05-01T00:00:00+00:00
  airflow-bridge runs wait etl nightly_0501 --timeout 3600 --interval 30 -o json

{WAIT_HELP}"""
)
@click.argument("dag_id")
@click.argument("run_id")
@_wait_options
@output_options
@click.pass_obj
def wait(
    settings: Settings, dag_id: str, run_id: str, wait_timeout: float, interval: float
) -> None:
    """Wait until the run succeeds or fails on every selected server, with a live status line."""

    async def work(fleet: AsyncFleet) -> Waited:
        waited = await _wait(fleet, dag_id, dict.fromkeys(fleet.names, run_id), wait_timeout,
                             interval)  # fmt: skip
        return await waited.with_failed_tasks(fleet)

    show_waited(settings, dag_id, settings.run(work, label=None))


@attrs.frozen
class Waited:
    """What a wait saw: each server's last run, which timed out, which failed, how long."""

    latest: dict[str, DagRun]
    timed_out: set[str]
    errors: dict[str, AirflowBridgeError]
    elapsed: float
    failed_tasks: dict[str, list[str]] = attrs.field(factory=dict)

    async def with_failed_tasks(self, fleet: AsyncFleet) -> Waited:
        """This wait plus the failed task instances of each run that ended failed (a server
        that cannot say is left out)."""
        failed = {n: r for n, r in self.latest.items() if r.state == "failed"}
        found: dict[str, list[str]] = {}

        async def ask(name: str, run: DagRun) -> None:
            result = await fleet.select(name).task_instances.failed(run.dag_id, run.run_id)
            for tis in result.per_server.values():
                found[name] = [ti_label(ti) for ti in tis]

        async with anyio.create_task_group() as group:
            for name, run in failed.items():
                group.start_soon(ask, name, run)
        return attrs.evolve(self, failed_tasks=found) if found else self


def show_waited(
    settings: Settings, dag_id: str, waited: Waited, *, empty: str = "nothing found"
) -> NoReturn:
    """The final (or last seen) state per server, a summary on stderr, the CI exit code."""
    runs = list(waited.latest.values())
    records = [
        {
            **run_record(run),
            "timed_out": run.server in waited.timed_out,
            "failed_tasks": waited.failed_tasks.get(run.server),
        }
        for run in runs
    ]
    rows = [
        {**row, "state": f"{row['state']} (timed out)" if row["server"] in waited.timed_out
         else row["state"]}
        for row in run_rows(runs)
    ]  # fmt: skip
    fields = (*RUN_FIELDS, "timed_out", "failed_tasks")
    emit(records, fields, RUN_COLUMNS, settings.output_format, rows=rows, empty=empty,
         chosen=settings.columns)  # fmt: skip
    failed = [r.server for r in runs if r.state == "failed"]
    console = err_console()
    if waited.timed_out:
        console.print(
            f"timed out after {waited.elapsed:.0f} s: still "
            + ", ".join(f"{waited.latest[n].state} on {n}" for n in sorted(waited.timed_out)),
            style="yellow",
        )
    if failed:
        console.print(f"{dag_id}: failed on {', '.join(failed)}", style="bold red")
        for name in failed:
            if waited.failed_tasks.get(name):
                console.print(f"  {name}: failed tasks: {', '.join(waited.failed_tasks[name])}")
    outcomes = {
        name: ServerOutcome(server=name, elapsed=waited.elapsed, count=1, error=None)
        for name in waited.latest
    } | {
        name: ServerOutcome(server=name, elapsed=waited.elapsed, count=0, error=error)
        for name, error in waited.errors.items()
    }
    code = report(FleetResult(items=(), per_server={}, outcomes=outcomes))
    if failed:
        code = Exit.FAILED
    elif waited.timed_out:
        code = Exit.TIMED_OUT
    raise SystemExit(code)


async def _wait(
    fleet: AsyncFleet,
    dag_id: str,
    run_ids: Mapping[str, str],
    timeout: float,
    interval: float,
) -> Waited:
    """Poll each server for its run (`run_ids`: server -> run_id) until each is finished or
    its server failed; runs still going at the deadline are marked timed out."""
    started = time.monotonic()
    latest: dict[str, DagRun] = {}
    errors: dict[str, AirflowBridgeError] = {}
    pending = list(run_ids)
    timed_out: set[str] = set()
    console = err_console()
    with console.status("", spinner="dots") if interactive() else _Quiet() as status:
        while True:
            await _poll(fleet, dag_id, {n: run_ids[n] for n in pending}, latest, errors)
            pending = [n for n in pending if n not in errors and not latest[n].is_finished]
            status.update(_status_line(dag_id, fleet.names, latest, errors, started))
            if not pending:
                break
            if time.monotonic() - started + interval > timeout:
                timed_out = set(pending)
                break
            await anyio.sleep(interval)
    return Waited(latest, timed_out, errors, time.monotonic() - started)


async def _poll(
    fleet: AsyncFleet,
    dag_id: str,
    run_ids: Mapping[str, str],
    latest: dict[str, DagRun],
    errors: dict[str, AirflowBridgeError],
) -> None:
    """One `get` per server (grouped by run id), concurrently."""
    groups: dict[str, list[str]] = {}
    for name, run_id in run_ids.items():
        groups.setdefault(run_id, []).append(name)

    async def ask(run_id: str, names: list[str]) -> None:
        result = await fleet.select(*names).dag_runs.get(dag_id, run_id)
        latest.update((run.server, run) for run in result)
        errors.update(result.errors)

    async with anyio.create_task_group() as group:
        for run_id, names in groups.items():
            group.start_soon(ask, run_id, names)


def _status_line(
    dag_id: str,
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
    return f"waiting for {dag_id} ({waited:.0f}s) · " + " · ".join(parts)


class _Quiet:
    """Stands in for a status line when nobody watches a terminal."""

    def __enter__(self) -> _Quiet:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def update(self, _text: str) -> None:
        return None
