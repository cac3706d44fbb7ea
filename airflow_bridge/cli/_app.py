"""The `airflow-bridge` command group: global options, how a fleet is found, `probe`.

A command describes its work as a coroutine over an `AsyncFleet`; `Settings.run` builds the
fleet from the global options, shows a progress bar while the servers answer (only when a
person is watching a terminal), and closes every connection afterwards.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, get_args
from urllib.parse import urlsplit

import attrs
import click
from click.shell_completion import CompletionItem
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from airflow_bridge.fleet import (
    AsyncFleet,
    FleetConfigError,
    Server,
    ServerOutcome,
    load_fleet_file,
)
from airflow_bridge.types import ApiChoice

from ._records import STATUS_COLUMNS, STATUS_FIELDS, health_text, status_records
from ._render import FORMATS, Exit, emit, err_console, interactive, report

R = TypeVar("R")

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class ConfigProblem(click.ClickException):
    """The fleet file or the connection options are wrong: a usage error (exit 2)."""

    exit_code = Exit.USAGE


def default_fleet_path() -> Path | None:
    """./fleet.toml, else the user's airflow-bridge/fleet.toml; None if neither exists."""
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    for candidate in (Path("fleet.toml"), config_home / "airflow-bridge" / "fleet.toml"):
        if candidate.is_file():
            return candidate
    return None


@attrs.define(kw_only=True)
class Settings:
    """The global options; secrets stay out of the repr."""

    server: str | None
    username: str | None
    password: str | None = attrs.field(repr=False)
    token: str | None = attrs.field(repr=False)
    fleet_file: Path | None
    select: tuple[str, ...]
    output: str
    api: ApiChoice | None
    timeout: float | None
    _built: tuple[AsyncFleet, AsyncFleet] | None = attrs.field(default=None, init=False)

    def build(self) -> tuple[AsyncFleet, AsyncFleet]:
        """The whole fleet (to close) and the selected part of it (to query); built once."""
        if self._built is None:
            try:
                fleet = self._fleet()
                selectors = [part for item in self.select for part in item.split(",") if part]
                self._built = fleet, fleet.select(*selectors)
            except FleetConfigError as exc:
                raise ConfigProblem(str(exc)) from None
        return self._built

    def _fleet(self) -> AsyncFleet:
        settings: dict[str, Any] = {}
        if self.server is not None:
            parts = urlsplit(self.server)
            name = parts.hostname or "server"
            if parts.port:
                name += f":{parts.port}"
            servers = {
                name: Server(
                    self.server,
                    api=self.api or "auto",
                    username=self.username,
                    password=self.password,
                    token=self.token,
                )
            }
        else:
            path = self.fleet_file or default_fleet_path()
            if path is None:
                raise ConfigProblem(
                    "no server to talk to: pass --server URL (with --username/--password or "
                    "--token), or --fleet FILE, or create ./fleet.toml "
                    "(see `airflow-bridge --help`)"
                )
            parsed = load_fleet_file(path)
            servers = dict(parsed.servers)
            if self.api:
                servers = {n: attrs.evolve(s, api=self.api) for n, s in servers.items()}
            settings.update(parsed.settings)
        if self.timeout is not None:
            settings["timeout"] = self.timeout
        try:
            return AsyncFleet(servers, **settings)
        except ValueError as exc:  # a bad URL or credentials given on the command line
            raise ConfigProblem(str(exc)) from None

    def run(self, work: Callable[[AsyncFleet], Awaitable[R]], *, label: str | None) -> R:
        """Run `work` on the selected fleet, with a progress bar titled `label` on a
        terminal (None: the command shows its own live status)."""
        fleet, selected = self.build()

        async def main() -> R:
            async with fleet:
                with progress(label, len(selected)) as tick:
                    return await work(selected.with_progress(tick))

        return asyncio.run(main())


@contextmanager
def progress(label: str | None, total: int) -> Iterator[Callable[[ServerOutcome], None] | None]:
    """A transient "servers answered / total" bar on stderr; nothing when output is piped."""
    if label is None or not interactive():
        yield None
        return
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("servers answered"),
        TimeElapsedColumn(),
        console=err_console(),
        transient=True,
    )
    task = bar.add_task(label, total=total)
    with bar:
        bar.refresh()
        yield lambda _outcome: bar.advance(task)


def _complete_select(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[Any]:
    """Shell completion for --select: the fleet file's server names and tags."""
    try:
        path = ctx.params.get("fleet_file") or default_fleet_path()
        servers = load_fleet_file(path).servers if path else {}
    except FleetConfigError:
        return []
    tags = sorted({f"tag:{tag}" for server in servers.values() for tag in server.tags})
    return [CompletionItem(c) for c in [*servers, *tags] if c.startswith(incomplete)]


EPILOG = """\b
Examples:
  airflow-bridge demo                                   # try it: two fake servers, no setup
  airflow-bridge --server http://localhost:8080 -u admin -p admin probe
  airflow-bridge --fleet fleet.toml runs list --state failed --since 1d
  airflow-bridge -s tag:eu runs trigger nightly_backfill --conf '{"day": "2024-05-01"}'
  airflow-bridge -o json runs get etl manual__2024-05-01T00:00:00+00:00 | jq .

\b
Where servers come from: --server URL (credentials from --username/--password or --token,
or AIRFLOW_BRIDGE_USERNAME / _PASSWORD / _TOKEN), else --fleet FILE, else ./fleet.toml,
else ~/.config/airflow-bridge/fleet.toml. A fleet file:
  [servers.legacy]
  url = "https://airflow2.example.com"
  username = "admin"
  password_env = "LEGACY_PASSWORD"     # secrets may stay in the environment
  tags = ["eu"]

\b
Output: -o table for people; -o json (an array), ndjson (one object a line) or csv (a header
row, nested values as JSON) for scripts: one object per run with every DagRun field, ISO 8601
dates, and "server", the fleet member's name. Data goes to stdout, errors to stderr.

\b
Exit codes: 0 every server succeeded; 3 some servers failed (their errors are listed after
the results); 1 every server failed, or a confirmation was declined; 2 the command was wrong.

\b
Shell completion: eval "$(airflow-bridge completion bash)"   (or zsh, fish)
"""


@click.group(context_settings=CONTEXT, epilog=EPILOG)
@click.option(
    "--server",
    envvar="AIRFLOW_BRIDGE_SERVER",
    metavar="URL",
    help="One server instead of a fleet file.",
)
@click.option("--username", "-u", envvar="AIRFLOW_BRIDGE_USERNAME", help="With --server.")
@click.option(
    "--password",
    "-p",
    envvar="AIRFLOW_BRIDGE_PASSWORD",
    help="With --server (prefer the environment variable).",
)
@click.option("--token", envvar="AIRFLOW_BRIDGE_TOKEN", help="A bearer token, with --server.")
@click.option(
    "--fleet",
    "fleet_file",
    envvar="AIRFLOW_BRIDGE_FLEET",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Fleet file (TOML). Default: ./fleet.toml or ~/.config/airflow-bridge/fleet.toml.",
)
@click.option(
    "--select",
    "-s",
    multiple=True,
    metavar="NAME|tag:TAG",
    shell_complete=_complete_select,
    help="Only these servers (repeat, or separate with commas).",
)
@click.option(
    "--output",
    "-o",
    type=click.Choice(FORMATS),
    default="table",
    envvar="AIRFLOW_BRIDGE_OUTPUT",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--api",
    type=click.Choice([api for api in get_args(ApiChoice) if api != "auto"]),
    help="Skip version detection: v1 = Airflow 2, v2 = Airflow 3.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="How long each server may take per command (default 60).",
)
@click.version_option(package_name="airflow-bridge", prog_name="airflow-bridge")
@click.pass_context
def cli(ctx: click.Context, /, **options: Any) -> None:
    """One command line for Airflow 2 and Airflow 3 servers, one or a whole fleet at once."""
    ctx.obj = Settings(**options)


@cli.command(
    epilog="""\b
Examples:
  airflow-bridge probe
  airflow-bridge --server http://localhost:8080 -u admin -p admin probe
  airflow-bridge -s tag:eu -o json probe"""
)
@click.pass_obj
def probe(settings: Settings) -> None:
    """Each server: URL, Airflow version, API generation, auth, health and latency.

    Exits 3 when some servers are down, unhealthy or refuse the credentials."""

    async def work(fleet: AsyncFleet) -> tuple[Any, dict[str, str]]:
        return await fleet.probe(), fleet.urls

    result, urls = settings.run(work, label="probing")
    records = status_records(result, urls)
    rows = [{**record, "health_text": health_text(record)} for record in records]
    emit(records, STATUS_FIELDS, STATUS_COLUMNS, settings.output, rows=rows)
    troubled = [r["server"] for r in records if r["auth_ok"] is False or r["healthy"] is False]
    raise SystemExit(report(result, also_failed=troubled))


@cli.command(
    epilog="""\b
Examples:
  eval "$(airflow-bridge completion bash)"      # in ~/.bashrc
  airflow-bridge completion fish > ~/.config/fish/completions/airflow-bridge.fish"""
)
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
@click.pass_context
def completion(ctx: click.Context, shell: str) -> None:
    """Print the shell completion script (click's) for SHELL."""
    from click.shell_completion import get_completion_class

    root = ctx.find_root().command
    complete = get_completion_class(shell)
    assert complete is not None
    click.echo(complete(root, {}, "airflow-bridge", "_AIRFLOW_BRIDGE_COMPLETE").source())
