"""`airflow-bridge dags ...`: list, pause and unpause DAGs on every selected server."""

from __future__ import annotations

from typing import NoReturn

import click

from airflow_bridge import Dag
from airflow_bridge.fleet import AsyncFleet, FleetResult

from ._app import Settings, cli, output_options
from ._records import DAG_COLUMNS, DAG_FIELDS, model_record
from ._render import emit, report
from ._runs import YES, confirm


def show_dags(
    settings: Settings, result: FleetResult[Dag], caption: str | None = None, *, empty: str
) -> NoReturn:
    records = [model_record(dag, DAG_FIELDS) for dag in result]
    emit(records, DAG_FIELDS, DAG_COLUMNS, settings.output_format, caption=caption,
         empty=empty, chosen=settings.columns)  # fmt: skip
    raise SystemExit(report(result))


@cli.group(
    epilog="""\b
Examples:
  airflow-bridge dags list --paused
  airflow-bridge dags unpause etl
  airflow-bridge -s prod dags pause etl"""
)
@output_options
def dags() -> None:
    """DAGs on every selected server: list, pause, unpause."""


@dags.command(
    "list",
    epilog="""\b
Examples:
  airflow-bridge dags list
  airflow-bridge dags list --paused --tag nightly
  airflow-bridge -o json dags list --pattern 'etl_%' --limit 20

\b
DAGs come server by server, each server's ordered by dag_id; --limit applies per server.
Filters need: --paused/--unpaused Airflow 2.6+, --tag 2.2+, --pattern 2.3+ (or 3).""",
)
@click.option(
    "--paused/--unpaused",
    default=None,
    help="Only paused DAGs, or only unpaused ones (default: both).",
)
@click.option("--tag", "tags", multiple=True, help="Only DAGs with this tag (repeat: any of them).")
@click.option("--pattern", metavar="PATTERN", help="SQL LIKE pattern on dag_id, e.g. 'etl_%'.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    help="At most this many DAGs per server (default: all).",
)
@output_options
@click.pass_obj
def list_dags(
    settings: Settings,
    paused: bool | None,
    tags: tuple[str, ...],
    pattern: str | None,
    limit: int | None,
) -> None:
    """DAGs from every selected server, with their pause state and schedule."""

    async def work(fleet: AsyncFleet) -> FleetResult[Dag]:
        return await fleet.dags.list(
            paused=paused, tags=tags or None, dag_id_pattern=pattern, limit=limit
        )

    result = settings.run(work, label="listing DAGs")
    answered = sum(outcome.ok for outcome in result.outcomes.values())
    caption = f"{len(result)} DAGs from {answered} of {len(result.outcomes)} servers"
    show_dags(settings, result, caption, empty="no DAGs found")


PAUSE_HELP = """\b
Aimed at more than one server, asks first on a terminal (listing the servers); without a
terminal it needs --yes or servers chosen with -s. A run triggered while its DAG is paused
stays queued until the DAG is unpaused."""


@dags.command(epilog=f"\b\nExamples:\n  airflow-bridge -s prod dags pause etl\n\n{PAUSE_HELP}")
@click.argument("dag_id")
@YES
@output_options
@click.pass_obj
def pause(settings: Settings, dag_id: str, yes: bool) -> None:
    """Pause DAG_ID on every selected server: the scheduler starts none of its runs."""
    confirm(settings, f"pause {dag_id}", yes)
    result = settings.run(lambda f: f.dags.pause(dag_id), label="pausing")
    show_dags(settings, result, empty="nothing paused")


@dags.command(epilog=f"\b\nExamples:\n  airflow-bridge dags unpause etl --yes\n\n{PAUSE_HELP}")
@click.argument("dag_id")
@YES
@output_options
@click.pass_obj
def unpause(settings: Settings, dag_id: str, yes: bool) -> None:
    """Unpause DAG_ID on every selected server, so its queued and scheduled runs start."""
    confirm(settings, f"unpause {dag_id}", yes)
    result = settings.run(lambda f: f.dags.unpause(dag_id), label="unpausing")
    show_dags(settings, result, empty="nothing unpaused")
