"""Named contexts (like kubectl's and gh's): `airflow-bridge config add/use/list/remove`.

A context is how to reach one server (url, username, where its password comes from, API,
auth scheme, TLS) or a fleet file. Contexts live in one YAML file in the platform's config
directory (platformdirs: `~/.config/airflow-bridge/config.yaml` on Linux), or where
`AIRFLOW_BRIDGE_CONFIG` points. The file never holds a secret: a password comes from the OS
keyring (`keyring: true`, the keyring extra) or from a `password_command`.
"""

from __future__ import annotations

import contextlib
import importlib
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import click

from airflow_bridge.fleet._config import KEYRING_SERVICE, redact_url

from ._app import output_options
from ._context_store import ContextProblem, config_path, load, save
from ._render import Column, emit

#: What a context may be called (it is typed after --context and shown in lists).
CONTEXT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@click.group(
    epilog="""\b
Examples:
  airflow-bridge config add prod --server https://airflow.example.com -u ops --keyring --use
  airflow-bridge config add eu --fleet ~/fleets/eu.toml
  airflow-bridge config add ci --server https://af.example.com -u ci \\
      --password-command 'pass show airflow/ci'
  airflow-bridge config use eu
  airflow-bridge config list"""
)
def config() -> None:
    """Named contexts: where to connect when no --server/--fleet is given.

    Stored in the platform's config directory (see `config list`, which prints the path),
    or at AIRFLOW_BRIDGE_CONFIG. Secrets are never written there: a context's password
    comes from the OS keyring (--keyring, needs the keyring extra) or a --password-command.
    """


def _options(values: tuple[str, ...]) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{value!r}: expected KEY=VALUE")
        pairs[key] = text
    return pairs


@config.command(
    epilog="""\b
Examples:
  airflow-bridge config add prod --server https://airflow.example.com -u ops --keyring --use
  airflow-bridge config add krb --server https://af.corp --auth kerberos"""
)
@click.argument("name")
@click.option("--server", metavar="URL", help="The server's base URL.")
@click.option(
    "--fleet", type=click.Path(dir_okay=False, path_type=Path), help="A fleet file instead."
)
@click.option("--username", "-u")
@click.option(
    "--keyring",
    "use_keyring",
    is_flag=True,
    help="Ask the password now, keep it in the OS keyring.",
)
@click.option("--password-command", metavar="CMD", help="A command printing the password.")
@click.option("--token-command", metavar="CMD", help="A command printing a bearer token.")
@click.option("--api", type=click.Choice(["v1", "v2"]))
@click.option("--auth", type=click.Choice(["kerberos", "google", "keycloak", "mwaa"]))
@click.option("--auth-option", "auth_options", multiple=True, metavar="KEY=VALUE")
@click.option("--ca-bundle", type=click.Path(dir_okay=False))
@click.option("--insecure", is_flag=True, help="Do not verify TLS certificates.")
@click.option("--cert", type=click.Path(dir_okay=False), help="Client certificate (PEM).")
@click.option("--key", type=click.Path(dir_okay=False), help="Its private key, if separate.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True))
@click.option("--use", "make_current", is_flag=True, help="Make it the current context.")
def add(name: str, use_keyring: bool, make_current: bool, **given: Any) -> None:
    """Add (or replace) the context NAME.

    A password in the --server URL is refused (the file never holds a secret); a user in it
    becomes the context's username.
    """
    if not CONTEXT_NAME.fullmatch(name):
        raise click.UsageError(
            f"context name {name!r}: use letters, digits and - _ . only (e.g. prod-eu)"
        )
    if (given["server"] is None) == (given["fleet"] is None):
        raise click.UsageError("give --server URL or --fleet FILE")
    if given["server"] is not None:
        given["server"], given["username"] = _without_credentials(
            given["server"], given["username"]
        )
    if use_keyring and given["username"] is None:
        raise click.UsageError("--keyring stores a password: give -u/--username too")
    context: dict[str, Any] = {k: v for k, v in given.items() if v not in (None, False, ())}
    if given["fleet"] is not None:
        context["fleet"] = str(given["fleet"].resolve())
    if given["auth_options"]:
        context["auth_options"] = _options(given["auth_options"])
    if given["token_command"]:
        context["auth"] = "token-command"
    if use_keyring:
        keyring = _keyring()
        password = click.prompt(f"Password for {given['username']}", hide_input=True, err=True)
        keyring.set_password(
            KEYRING_SERVICE.format(url=given["server"]), given["username"], password
        )
        context["keyring"] = True
    data = load()
    data["contexts"][name] = context
    if make_current or data["current"] is None:
        data["current"] = name
    save(data)
    click.echo(
        f"context {name!r} saved in {config_path()}"
        + (" (current)" if data["current"] == name else ""),
        err=True,
    )


def _without_credentials(url: str, username: str | None) -> tuple[str, str | None]:
    """The URL without `user@` (the user becomes the context's username) and the username;
    a password in the URL is refused, since the file never holds a secret."""
    parts = urlsplit(url)
    if parts.password is not None:
        raise click.UsageError(
            "--server: the URL holds a password, and the config file never holds a secret: "
            f"give the URL without it ({redact_url(url)}) with -u USER and --keyring (the OS "
            "keyring) or --password-command CMD, or pass the password when you run a command "
            "(-p or AIRFLOW_BRIDGE_PASSWORD)"
        )
    if parts.username is None:
        return url, username
    in_url = unquote(parts.username)
    if username is not None and username != in_url:
        raise click.UsageError(
            f"--server names the user {in_url!r} and -u/--username {username!r}: give one"
        )
    return redact_url(url), in_url


@config.command(epilog="Examples:\n  airflow-bridge config use prod")
@click.argument("name")
def use(name: str) -> None:
    """Make NAME the current context."""
    data = load()
    if name not in data["contexts"]:
        raise ContextProblem(
            f"no context named {name!r} (contexts: {', '.join(data['contexts']) or 'none'})"
        )
    data["current"] = name
    save(data)
    click.echo(f"current context: {name}", err=True)


@config.command(
    "list", epilog="Examples:\n  airflow-bridge config list\n  airflow-bridge -o json config list"
)
@output_options
@click.pass_context
def list_contexts(ctx: click.Context) -> None:
    """The contexts (the current one marked) and the config file's path."""

    data = load()
    records = [
        {
            "name": name,
            "current": name == data["current"],
            # a file written by an older version may hold user:password@ in the URL
            "server": redact_url(str(context["server"])) if context.get("server") else None,
            "fleet": context.get("fleet"),
            "username": context.get("username"),
            "auth": context.get("auth") or ("basic" if context.get("username") else None),
        }
        for name, context in data["contexts"].items()
    ]
    columns = [
        Column("current", "", lambda c: "*" if c else ""),
        Column("name", "name", optional=False),
    ]
    columns += [Column(k, k) for k in ("server", "fleet", "username", "auth")]
    settings = ctx.obj
    emit(
        records,
        list(records[0]) if records else ["name"],
        columns,
        settings.output_format,
        caption=str(config_path()),
        empty=f"no contexts in {config_path()}",
        chosen=settings.columns,
    )


@config.command(epilog="Examples:\n  airflow-bridge config remove old")
@click.argument("name")
def remove(name: str) -> None:
    """Remove the context NAME (and its keyring password)."""
    data = load()
    context = data["contexts"].pop(name, None)
    if context is None:
        raise ContextProblem(f"no context named {name!r}")
    if context.get("keyring"):
        keyring = _keyring()
        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            keyring.delete_password(
                KEYRING_SERVICE.format(url=context["server"]), context["username"]
            )
    if data["current"] == name:
        data["current"] = None
    save(data)
    click.echo(f"context {name!r} removed", err=True)


def _keyring() -> Any:
    try:
        return importlib.import_module("keyring")
    except ImportError:
        raise ContextProblem(
            "--keyring needs the keyring extra: pip install 'airflow-bridge[keyring]'"
        ) from None
