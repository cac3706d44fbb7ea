"""`airflow-bridge demo` and `airflow-bridge fake-server`: the library with no Airflow around.

The demo starts an Airflow-2-shaped and an Airflow-3-shaped fake (`airflow_bridge.testing`)
on loopback ports and walks a fleet of both through the facade, printing each step with the
same renderers as the real commands; `--real` walks the live servers of
`scripts/airflow-servers` instead (read from `.airflow/<version>/server.json`). The demo's
run is deleted at the end, so it leaves real servers as it found them.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from airflow_bridge.fleet import AsyncFleet, FleetResult, Server

from ._app import cli
from ._records import (
    RUN_COLUMNS,
    RUN_FIELDS,
    STATUS_COLUMNS,
    STATUS_FIELDS,
    TI_COLUMNS,
    TI_FIELDS,
    run_record,
    run_rows,
    status_records,
    status_rows,
    ti_record,
)
from ._render import Exit, emit, out_console, report

DAG = "bridge_plain"
VERSIONS = ("2.10.5", "3.3.2")
NEXT_STEPS = """\b
Point the same commands at real servers:
  airflow-bridge --server http://localhost:8080 -u admin -p admin probe
  airflow-bridge --server http://localhost:8080 -u admin -p admin runs list --since 1d
or describe a fleet once in fleet.toml:
  [servers.legacy]
  url = "https://airflow2.example.com"
  username = "admin"
  password_env = "LEGACY_PASSWORD"
  [servers.prod]
  url = "https://airflow3.example.com"
  token_env = "PROD_TOKEN"
then: airflow-bridge runs list --state failed --since 1d   (see airflow-bridge --help)"""


@cli.command(
    epilog="""\b
Examples:
  airflow-bridge demo           # two fake servers on loopback ports, a few seconds
  airflow-bridge demo --real    # the live servers of scripts/airflow-servers"""
)
@click.option("--real", is_flag=True, help="Use the servers of scripts/airflow-servers.")
def demo(real: bool) -> None:
    """A guided tour: one fleet of an Airflow 2 and an Airflow 3 server, step by step."""
    console = out_console()
    started = time.perf_counter()
    with ExitStack() as stack:
        servers = _real_servers() if real else stack.enter_context(_fake_servers(console))
        code = asyncio.run(_walk(AsyncFleet(servers), console))
    console.print(f"\nDone in {time.perf_counter() - started:.1f} s.", style="bold green")
    click.echo(NEXT_STEPS.replace("\b\n", ""))
    raise SystemExit(code)


@contextmanager
def _fake_servers(console: Console) -> Iterator[dict[str, Server]]:
    """A fake Airflow 2.10.5 and 3.3.2, served on loopback ports, with a few past runs."""
    from airflow_bridge.testing import FakeAirflow

    servers = {}
    with ExitStack() as stack:
        for name, version in zip(("airflow2", "airflow3"), VERSIONS, strict=True):
            fake = FakeAirflow(version, users={"admin": "admin"})
            now = datetime.now(timezone.utc)
            for days, state in ((3, "success"), (2, "failed"), (1, "success")):
                date = (now - timedelta(days=days)).replace(microsecond=0)
                fake.add_run(DAG, f"earlier_{date:%Y%m%d}", state=state, logical_date=date)
            served = stack.enter_context(fake.serve(host="127.0.0.1", port=0))
            console.print(f"Started a fake Airflow {version} at {served.url} (admin/admin)")
            servers[name] = Server(served.url, username="admin", password="admin")
        yield servers


def _real_servers() -> dict[str, Server]:
    servers = {}
    for version in VERSIONS:
        path = Path(".airflow") / version / "server.json"
        if not path.is_file():
            raise click.UsageError(
                f"no {path}: start the servers first (scripts/airflow-servers up "
                f"{' '.join(VERSIONS)}) and run the demo from the project's directory"
            )
        info = json.loads(path.read_text())
        servers[f"airflow{version[0]}"] = Server(
            info["base_url"], username=info["username"], password=info["password"]
        )
    return servers


async def _walk(fleet: AsyncFleet, console: Console) -> Exit:
    """The tour; the exit code is the worst of its steps'."""
    run_id = f"demo_{datetime.now(timezone.utc):%Y%m%dT%H%M%S}_{uuid.uuid4().hex[:4]}"
    codes = []

    def step(title: str) -> None:
        console.print()
        console.rule(f"[bold]{title}", align="left")

    def runs(result: FleetResult[Any], caption: str | None = None) -> None:
        items = list(result)
        records = [run_record(run) for run in items]
        emit(records, RUN_FIELDS, RUN_COLUMNS, "table", rows=run_rows(items), caption=caption)
        codes.append(report(result))

    async with fleet:
        step("1. Detect each server's version (concurrently, on first use)")
        probe = await fleet.probe()
        records = status_records(probe, fleet.urls)
        emit(records, STATUS_FIELDS, STATUS_COLUMNS, "table", rows=status_rows(records))
        codes.append(report(probe))

        step(f"2. Trigger {DAG} on both: POST /api/v1/... on Airflow 2, /api/v2/... on Airflow 3")
        now = datetime.now(timezone.utc).replace(microsecond=0)
        runs(await fleet.dag_runs.trigger(DAG, run_id=run_id, logical_date=now, conf={"demo": 1}))

        step("3. A note and a state change: setNote + PATCH on Airflow 2, one PATCH on Airflow 3")
        runs(await fleet.dag_runs.update(DAG, run_id, state="failed", note="tried the demo"))

        step("4. Clear it, as a dry run: the task instances that would run again")
        cleared = await fleet.dag_runs.clear(DAG, run_id)
        tis = [
            ti_record(name, ti)
            for name, results in cleared.per_server.items()
            for result in results
            for ti in result.task_instances
        ]
        emit(tis, TI_FIELDS, TI_COLUMNS, "table")
        codes.append(report(cleared))

        step(f"5. Every {DAG} run of both generations, one table, newest first")
        listed = await fleet.dag_runs.list(DAG, order_by="-logical_date", limit=8)
        runs(listed, caption="`airflow-bridge runs list -d bridge_plain` shows the same")

        step("6. The same run as JSON from both: one shape, whichever generation")
        got = await fleet.dag_runs.get(DAG, run_id)
        click.echo(json.dumps([run_record(run) for run in got], indent=2))
        codes.append(report(got))

        step("7. Delete the demo run on both (`runs delete` asks first unless --yes)")
        deleted = await fleet.dag_runs.delete(DAG, run_id)
        console.print(f"deleted {DAG}/{run_id} on {', '.join(deleted.per_server)}")
        codes.append(report(deleted))
    return max(codes)
