"""Which servers a command talks to, and how: the precedence of flags, environment, the
config file's contexts and the default fleet files (documented in `airflow-bridge --help`).

Only the selected servers are built, so only their secrets are read (environment
variables, password commands, the keyring, a prompt) and only their auth schemes imported.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs
import click
import httpx

from airflow_bridge.fleet import FleetConfigError, Server, load_fleet_file
from airflow_bridge.fleet._config import pick, server_from_table, tls_context

from . import _context_store as _contexts
from ._debug import NamingTransport

#: Environment variables naming a server source, by option.
SOURCE_VARIABLES = {"server": "AIRFLOW_BRIDGE_SERVER", "fleet_file": "AIRFLOW_BRIDGE_FLEET"}
#: Options that only make sense with one server (not a fleet file).
SINGLE_SERVER_FLAGS = ("username", "password", "token", "auth", "token_command")


class ConfigProblem(click.ClickException):
    """The fleet file, a context or the connection options are wrong: a usage error (exit 2)."""

    exit_code = 2


@attrs.frozen
class Resolved:
    """The selected servers (specs with secrets read), fleet settings, and what was decided."""

    servers: Mapping[str, Server]
    settings: dict[str, Any]
    notes: list[str]


def default_fleet_path() -> Path | None:
    """./fleet.toml, else the user's airflow-bridge/fleet.toml; None if neither exists."""
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    for candidate in (Path("fleet.toml"), config_home / "airflow-bridge" / "fleet.toml"):
        if candidate.is_file():
            return candidate
    return None


def _said(option: str, source: str) -> str:
    flag = "--fleet" if option == "fleet_file" else f"--{option}"
    return SOURCE_VARIABLES[option] if source == "environment" else flag


def resolve(
    options: Mapping[str, Any], sources: Mapping[str, str], select: tuple[str, ...]
) -> Resolved:
    """Apply the precedence: --server/--fleet, their environment variables, the context,
    the default fleet files; then build the selected servers."""
    server, fleet = options["server"], options["fleet_file"]
    if server and fleet:
        from_env = "environment" in (sources["server"], sources["fleet_file"])
        raise ConfigProblem(
            f"both {_said('server', sources['server'])} ({sources['server']}) and "
            f"{_said('fleet_file', sources['fleet_file'])} ({sources['fleet_file']}) name the "
            "servers: keep one ("
            + ("unset the environment variable, or drop the flag" if from_env else "drop one flag")
            + ")"
        )
    notes: list[str] = []
    context: dict[str, Any] = {}
    context_name = None
    if not server and not fleet:
        found = _contexts.find(options["context_name"])
        if found is not None:
            context_name, context = found
            how = "--context" if options["context_name"] else "the current context"
            notes.append(f"context {context_name!r} ({how}, {_contexts.config_path()})")
            server, fleet = context.get("server"), context.get("fleet")
    elif options["context_name"]:
        notes.append(f"context {options['context_name']!r} ignored: servers given by flag/env")
    try:
        if server:
            if not context_name:
                notes.append(f"server from {_said('server', sources['server'])}")
            built = _one_server(server, context_name, _flags_over_env(options, sources),
                                context, select)  # fmt: skip
        else:
            path = Path(fleet) if fleet else default_fleet_path()
            if path is None:
                raise ConfigProblem(
                    "no server to talk to: pass --server URL (with --username/--password or "
                    "--token), or --fleet FILE, or add a context (`airflow-bridge config add`), "
                    "or create ./fleet.toml (see `airflow-bridge --help`)"
                )
            if not context_name:
                origin = _said("fleet_file", sources["fleet_file"]) if fleet else "default"
                notes.append(f"fleet file {path} (from {origin})")
            ignored = [
                f"AIRFLOW_BRIDGE_{k.upper()}"
                for k in SINGLE_SERVER_FLAGS
                if options[k] and sources[k] == "environment"
            ]
            if ignored:
                notes.append(
                    f"ignored (a fleet file sets credentials per server): {', '.join(ignored)}"
                )
            built = _fleet(path, options, sources, context, select)
    except FleetConfigError as exc:
        raise ConfigProblem(str(exc)) from None
    servers, settings = built
    notes.append(f"selected: {', '.join(servers)} (secrets read for these only)")
    servers = _tls_and_trace(servers, options, context)
    if options["timeout"] is not None:
        settings["timeout"] = options["timeout"]
    elif context.get("timeout") is not None:
        settings["timeout"] = float(context["timeout"])
    return Resolved(servers=servers, settings=settings, notes=notes)


def _flags_over_env(options: Mapping[str, Any], sources: Mapping[str, str]) -> dict[str, Any]:
    """A token given as a flag beats a username and password from the environment (and
    the other way round), instead of the two clashing."""
    chosen = dict(options)
    by_flag = {k for k in ("username", "password", "token") if sources[k] == "commandline"}
    if "token" in by_flag and not by_flag & {"username", "password"}:
        chosen.update(username=None, password=None)
    elif by_flag & {"username", "password"} and "token" not in by_flag:
        chosen["token"] = None
    return chosen


def _one_server(
    url: str,
    context_name: str | None,
    options: Mapping[str, Any],
    context: Mapping[str, Any],
    select: tuple[str, ...],
) -> tuple[dict[str, Server], dict[str, Any]]:
    parts = urlsplit(url)
    name = context_name or (parts.hostname or "server") + (f":{parts.port}" if parts.port else "")
    pick({name: ()}, select)  # -s names this server or is an error
    table: dict[str, Any] = {"url": url}
    username = options["username"] or context.get("username")
    token_command = options["token_command"] or context.get("token_command")
    auth = options["auth"] or context.get("auth") or ("token-command" if token_command else None)
    if options["auth_options"]:
        table["auth_options"] = _pairs(options["auth_options"])
    elif context.get("auth_options"):
        table["auth_options"] = dict(context["auth_options"])
    for key, value in (
        ("username", username),
        ("token", options["token"]),
        ("token_command", token_command),
        ("auth", auth),
        ("api", options["api"] or context.get("api")),
    ):
        if value is not None:
            table[key] = value
    if options["password"] is not None:
        table["password"] = options["password"]
    elif context.get("password_command"):
        table["password_command"] = context["password_command"]
    elif context.get("keyring"):
        table["keyring"] = True
    elif username and not options["token"] and auth in (None, "basic"):
        table["password"] = _ask_password(username, url)
    where = f"context {context_name!r}" if context_name else "--server"
    return {name: server_from_table(name, table, os.environ, where)}, {}


def _ask_password(username: str, url: str) -> str:
    """A hidden prompt on a terminal; elsewhere a usage error saying where a password goes."""
    if not sys.stdin.isatty():
        raise ConfigProblem(
            f"no password for {username!r}: pass -p/--password or AIRFLOW_BRIDGE_PASSWORD, "
            "or use a context with --keyring or --password-command (no terminal to ask on)"
        )
    value: str = click.prompt(f"Password for {username} on {url}", hide_input=True, err=True)
    return value


def _fleet(
    path: Path,
    options: Mapping[str, Any],
    sources: Mapping[str, str],
    context: Mapping[str, Any],
    select: tuple[str, ...],
) -> tuple[dict[str, Server], dict[str, Any]]:
    flags = [k for k in SINGLE_SERVER_FLAGS if options[k] and sources[k] == "commandline"]
    if flags:
        raise ConfigProblem(
            f"--{flags[0].replace('_', '-')} applies to --server; a fleet file sets "
            "credentials and auth per server"
        )
    parsed = load_fleet_file(path, select=select)
    servers = dict(parsed.servers)
    api = options["api"] or context.get("api")
    if api:
        servers = {n: attrs.evolve(s, api=api) for n, s in servers.items()}
    return servers, dict(parsed.settings)


def _tls_and_trace(
    servers: dict[str, Server], options: Mapping[str, Any], context: Mapping[str, Any]
) -> dict[str, Server]:
    """The TLS flags (over the context's) on every server, and --debug's naming transport."""
    insecure = options["insecure"] if options["insecure"] is not None else context.get("insecure")
    ca_bundle = options["ca_bundle"] or context.get("ca_bundle")
    cert = options["cert"] or context.get("cert")
    key = options["key"] or context.get("key")
    if key and not cert:
        raise ConfigProblem("--key needs --cert (the client certificate it belongs to)")
    changes: dict[str, Any] = {}
    if insecure:
        changes["verify"] = False
        click.echo(
            "warning: --insecure: TLS certificates are not verified; anyone on the path can "
            "read the credentials",
            err=True,
        )
    elif ca_bundle:
        changes["verify"] = str(ca_bundle)
    if cert:
        changes["cert"] = (str(cert), str(key)) if key else str(cert)
    servers = {name: attrs.evolve(s, **changes) for name, s in servers.items()}
    if options["debug"]:
        servers = {
            name: attrs.evolve(
                s,
                transport=NamingTransport(
                    name,
                    s.url,
                    s.transport or httpx.AsyncHTTPTransport(verify=tls_context(s.verify, s.cert)),
                ),
            )
            for name, s in servers.items()
        }
    return servers


def _pairs(values: tuple[str, ...]) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key:
            raise ConfigProblem(f"--auth-option {value!r}: expected KEY=VALUE")
        pairs[key] = text
    return pairs
