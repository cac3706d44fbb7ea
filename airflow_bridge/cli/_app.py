"""The `airflow-bridge` command group: global options, where servers come from, `probe`.

A command describes its work as a coroutine over an `AsyncFleet`; `Settings.run` builds the
fleet from the global options (`_targets`), shows a progress bar while the servers answer
(only when a person is watching a terminal), and closes every connection afterwards.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import attrs
import click
from click.shell_completion import CompletionItem
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from airflow_bridge.errors import AuthenticationError, InvalidArgument
from airflow_bridge.fleet import AsyncFleet, FleetConfigError, Server, ServerOutcome
from airflow_bridge.fleet._config import AUTH_SCHEMES, server_tags

from ._debug import enable_debug, note
from ._records import STATUS_COLUMNS, STATUS_FIELDS, status_records, status_rows
from ._render import (
    EXIT_CODES,
    FORMATS,
    Exit,
    default_output,
    emit,
    err_console,
    interactive,
    report,
)
from ._targets import ConfigProblem, Resolved, default_fleet_path, resolve

R = TypeVar("R")

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@attrs.define(kw_only=True)
class Settings:
    """The global options (and where each came from); secrets stay out of the repr."""

    options: dict[str, Any] = attrs.field(repr=False)
    sources: dict[str, str]
    output: str | None
    columns: tuple[str, ...] = ()
    verbose: bool = False
    _resolved: Resolved | None = attrs.field(default=None, init=False)
    _fleet: AsyncFleet | None = attrs.field(default=None, init=False)

    @property
    def output_format(self) -> str:
        """-o as given (subcommand over group over AIRFLOW_BRIDGE_OUTPUT), else the default:
        a table on a terminal, tab-separated lines when piped."""
        return self.output or default_output()

    @property
    def select(self) -> tuple[str, ...]:
        return tuple(p for item in self.options["select"] for p in item.split(",") if p)

    @property
    def target(self) -> Resolved:
        """The selected servers, their specs built (secrets read for these only)."""
        if self._resolved is None:
            self._resolved = resolve(self.options, self.sources, self.select)
            for line in self._resolved.notes:
                note(self.verbose, line)
        return self._resolved

    def build(self) -> AsyncFleet:
        """The fleet of the selected servers; built once."""
        if self._fleet is None:
            target = self.target
            try:
                self._fleet = AsyncFleet(dict(target.servers), **target.settings)
            except (ValueError, FleetConfigError) as exc:
                raise ConfigProblem(str(exc)) from None
            except (ssl.SSLError, OSError) as exc:  # a CA bundle or certificate that will not load
                raise ConfigProblem(f"TLS files ({self._tls_files()}): {exc}") from None
        return self._fleet

    def _tls_files(self) -> str:
        given = [str(self.options[k]) for k in ("ca_bundle", "cert", "key") if self.options[k]]
        return ", ".join(given) or "from the fleet file or context"

    def run(self, work: Callable[[AsyncFleet], Awaitable[R]], *, label: str | None) -> R:
        """Run `work` on the selected fleet, with a progress bar titled `label` on a
        terminal (None: the command shows its own live status)."""
        fleet = self.build()

        async def main() -> R:
            async with fleet:
                if self.verbose:
                    await self._say_detected(fleet)
                with progress(label, len(fleet)) as tick:
                    return await work(fleet.with_progress(tick))

        try:
            return asyncio.run(main())
        except InvalidArgument as exc:  # the facade's check, before anything was sent
            raise click.UsageError(str(exc)) from None

    async def _say_detected(self, fleet: AsyncFleet) -> None:
        infos = await fleet.server_info()
        for name, found in infos.per_server.items():
            for info in found:
                version = info.version or "version not probed (api given)"
                note(True, f"{name}: API {info.api} detected, Airflow {version}")
        for name, error in infos.errors.items():
            note(True, f"{name}: API not detected ({type(error).__name__}: {error})")


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
    """Shell completion for --select: the fleet file's server names and tags (no secret
    is read)."""
    try:
        path = ctx.params.get("fleet_file") or default_fleet_path()
        servers = server_tags(path) if path else {}
    except FleetConfigError:
        return []
    tags = sorted({f"tag:{tag}" for has in servers.values() for tag in has})
    return [CompletionItem(c) for c in [*servers, *tags] if c.startswith(incomplete)]


def _set_output(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    settings = ctx.find_object(Settings)
    if value is not None and settings is not None:
        settings.output = value


def _set_columns(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    settings = ctx.find_object(Settings)
    if value is not None and settings is not None:
        settings.columns = _columns(value)


def _columns(value: str) -> tuple[str, ...]:
    """`--columns a,b` as keys; an empty list is a usage error (it would silently show all)."""
    keys = tuple(c.strip() for c in value.split(",") if c.strip())
    if not keys:
        raise click.UsageError("--columns needs at least one key, e.g. --columns run_id,state")
    return keys


def output_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """-o/--output and --columns on a subcommand too (`runs list -o json`), overriding the
    group's."""
    command = click.option(
        "--columns",
        metavar="KEY,...",
        expose_value=False,
        callback=_set_columns,
        help="Only these keys, in this order (any format).",
    )(command)
    return click.option(
        "--output",
        "-o",
        type=click.Choice(FORMATS),
        expose_value=False,
        callback=_set_output,
        help="Output format (as the global -o).",
    )(command)


EPILOG = f"""\b
Examples:
  airflow-bridge demo                                   # try it: two fake servers, no setup
  airflow-bridge --server http://localhost:8080 -u admin probe   # asks the password
  airflow-bridge --fleet fleet.toml runs list --state failed --since 1d
  airflow-bridge -s tag:eu runs trigger nightly_backfill --conf '{{"day": "2024-05-01"}}'
  airflow-bridge runs get etl manual__2024-05-01T00:00:00+00:00 -o json | jq .
  airflow-bridge config add prod --server https://af.example.com -u ops --keyring --use

\b
Where servers come from, first match wins (flags > environment > config file > defaults):
  1. --server URL or --fleet FILE (both at once is an error)
  2. AIRFLOW_BRIDGE_SERVER or AIRFLOW_BRIDGE_FLEET (one of them; and not the other kind
     of flag: --fleet with AIRFLOW_BRIDGE_SERVER set is an error, not a silent choice)
  3. the context --context / AIRFLOW_BRIDGE_CONTEXT names, else the current context of
     `airflow-bridge config` (config.yaml in the platform's config directory)
  4. ./fleet.toml, else ~/.config/airflow-bridge/fleet.toml
Each connection option (-u, -p, --token, --api, --auth, TLS) is likewise the flag, else its
environment variable, else the context's value. A username without a password asks for
it (hidden) on a terminal. Only the selected servers' secrets are read.

\b
A fleet file:
  [servers.legacy]
  url = "https://airflow2.example.com"
  username = "admin"
  password_env = "LEGACY_PASSWORD"     # or password_command = "...", or keyring = true
  tags = ["eu"]

\b
Writes (trigger, set-state, note, delete, dags pause/unpause) aimed at more than one server
ask first on a terminal, listing the servers; elsewhere they need --yes or an explicit -s.
clear and clear-tasks are dry runs unless --yes.

\b
Output: -o (before or after the subcommand) table on a terminal, tsv when piped (the
table's columns, no header, stable); json, ndjson, yaml, csv for scripts: one object per
run with every DagRun field, ISO 8601 dates, "server" = the fleet member's name.
--columns picks keys. Data goes to stdout, errors to stderr. --debug prints each HTTP
exchange, -v what the CLI decided.

\b
Environment: every AIRFLOW_BRIDGE_* variable is listed with its option above; also
AIRFLOW_BRIDGE_CONFIG, the config file of the contexts (default: config.yaml in the
platform's config directory, ~/.config/airflow-bridge/ on Linux).

{EXIT_CODES}

\b
Shell completion: eval "$(airflow-bridge completion bash)"   (or zsh, fish)
"""


@click.group(context_settings=CONTEXT, epilog=EPILOG)
@click.option(
    "--server",
    envvar="AIRFLOW_BRIDGE_SERVER",
    show_envvar=True,
    metavar="URL",
    help="One server instead of a fleet file.",
)
@click.option(
    "--fleet",
    "fleet_file",
    envvar="AIRFLOW_BRIDGE_FLEET",
    show_envvar=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Fleet file (TOML). Default: ./fleet.toml or ~/.config/airflow-bridge/fleet.toml.",
)
@click.option(
    "--context",
    "context_name",
    envvar="AIRFLOW_BRIDGE_CONTEXT",
    show_envvar=True,
    metavar="NAME",
    help="A context of `airflow-bridge config` (default: the current one).",
)
@click.option(
    "--username", "-u", envvar="AIRFLOW_BRIDGE_USERNAME", show_envvar=True, help="With --server."
)
@click.option(
    "--password",
    "-p",
    envvar="AIRFLOW_BRIDGE_PASSWORD",
    show_envvar=True,
    help="With --server (prefer the environment, a context, or the prompt).",
)
@click.option(
    "--token",
    envvar="AIRFLOW_BRIDGE_TOKEN",
    show_envvar=True,
    help="A bearer token, with --server.",
)
@click.option(
    "--auth",
    type=click.Choice([s for s in AUTH_SCHEMES if s != "basic"]),
    envvar="AIRFLOW_BRIDGE_AUTH",
    show_envvar=True,
    help="An auth scheme of airflow_bridge.auth for --server (its extra must be installed).",
)
@click.option(
    "--auth-option",
    "auth_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="A keyword argument of the --auth scheme (repeat), e.g. service=airflow.",
)
@click.option(
    "--token-command",
    envvar="AIRFLOW_BRIDGE_TOKEN_COMMAND",
    show_envvar=True,
    metavar="CMD",
    help="A command printing a bearer token (run again when the server refuses it).",
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
    envvar="AIRFLOW_BRIDGE_OUTPUT",
    show_envvar=True,
    help="Output format (default: table on a terminal, tsv when piped).",
)
@click.option("--columns", metavar="KEY,...", help="Only these keys, in this order (any format).")
@click.option(
    "--api",
    type=click.Choice(["v1", "v2"]),
    envvar="AIRFLOW_BRIDGE_API",
    show_envvar=True,
    help="Skip version detection: v1 = Airflow 2, v2 = Airflow 3.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    envvar="AIRFLOW_BRIDGE_TIMEOUT",
    show_envvar=True,
    metavar="SECONDS",
    help="How long each server may take per command (default 60).",
)
@click.option(
    "--ca-bundle",
    type=click.Path(dir_okay=False, exists=True),
    envvar="AIRFLOW_BRIDGE_CA_BUNDLE",
    show_envvar=True,
    help="Verify servers' TLS certificates with this CA bundle (PEM).",
)
@click.option(
    "--insecure",
    is_flag=True,
    default=None,
    envvar="AIRFLOW_BRIDGE_INSECURE",
    show_envvar=True,
    help="Do not verify TLS certificates (a warning is printed).",
)
@click.option(
    "--cert",
    type=click.Path(dir_okay=False, exists=True),
    envvar="AIRFLOW_BRIDGE_CERT",
    show_envvar=True,
    help="A client certificate (PEM) for mutual TLS.",
)
@click.option(
    "--key",
    type=click.Path(dir_okay=False, exists=True),
    envvar="AIRFLOW_BRIDGE_KEY",
    show_envvar=True,
    help="The client certificate's private key, if not in --cert.",
)
@click.option("--verbose", "-v", is_flag=True, help="Say what the CLI decided (stderr).")
@click.option(
    "--debug",
    is_flag=True,
    envvar="AIRFLOW_BRIDGE_DEBUG",
    show_envvar=True,
    help="Print each HTTP exchange: method, URL, status, time, attempt (stderr).",
)
@click.version_option(package_name="airflow-bridge", prog_name="airflow-bridge")
@click.pass_context
def cli(ctx: click.Context, /, **options: Any) -> None:
    """One command line for Airflow 2 and Airflow 3 servers, one or a whole fleet at once."""
    sources = {}
    for name in options:
        source = ctx.get_parameter_source(name)
        sources[name] = source.name.lower() if source is not None else "default"
    if options["debug"]:
        ctx.call_on_close(enable_debug())
    columns = options.pop("columns")
    ctx.obj = Settings(
        options=options,
        sources=sources,
        output=options.pop("output"),
        columns=() if columns is None else _columns(columns),
        verbose=options.pop("verbose"),
    )


PROBE_HELP = """\b
Examples:
  airflow-bridge probe
  airflow-bridge --server http://localhost:8080 -u admin probe
  airflow-bridge -s tag:eu -o json probe

\b
Status per server: ok; unreachable (no answer, or the API failed); auth refused (with the
server's reason); unhealthy (the components that are not healthy).
Exit codes: 0 all ok; 3 some unreachable (1: all); 5 some refused the credentials;
6 some unhealthy. When several apply: 1, 3, 5, 6 in this order."""


@cli.command(epilog=PROBE_HELP)
@output_options
@click.pass_obj
def probe(settings: Settings) -> None:
    """Each server: status, Airflow version, API generation, auth scheme, health, latency."""
    target = settings.target

    async def work(fleet: AsyncFleet) -> tuple[Any, dict[str, str]]:
        result = await fleet.probe()
        refused = [s.server for s in result if not s.auth_ok]
        return result, await _refusals(fleet, refused)

    result, refusals = settings.run(work, label="probing")
    auth = {name: server.auth_name for name, server in target.servers.items()}
    records = status_records(result, settings.build().urls, auth, refusals)
    emit(records, STATUS_FIELDS, STATUS_COLUMNS, settings.output_format, rows=status_rows(records),
         chosen=settings.columns)  # fmt: skip
    code = report(result)
    if code == Exit.OK:
        problems = {r["problem"] for r in records}
        if "auth refused" in problems:
            code = Exit.AUTH_REFUSED
        elif "unhealthy" in problems:
            code = Exit.UNHEALTHY
    raise SystemExit(code)


async def _refusals(fleet: AsyncFleet, names: Sequence[str]) -> dict[str, str]:
    """The servers' own reasons for refusing the credentials (one request each)."""
    if not names:
        return {}
    answers = await fleet.select(*names).dag_runs.count()
    return {
        name: str(error)
        for name, error in answers.errors.items()
        if isinstance(error, AuthenticationError)
    }


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


def servers_of(settings: Settings) -> dict[str, Server]:
    """The selected servers' specs (for confirmations and listings)."""
    return dict(settings.target.servers)
