"""`airflow-bridge fake-server`: a fake Airflow on a local port, for tools in any language."""

from __future__ import annotations

import signal
import threading

import click

from ._app import cli


def _user(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    users = {}
    for value in values:
        name, colon, password = value.partition(":")
        if not colon or not name:
            raise click.BadParameter(f"{value!r} is not NAME:PASSWORD")
        users[name] = password
    return users or {"admin": "admin"}


@cli.command(
    "fake-server",
    epilog="""\b
Examples:
  airflow-bridge fake-server --version 2.10.5 --port 8080
  airflow-bridge fake-server --version 3.3.2 --port 8081 --user ci:secret --auto 2
  airflow-bridge --server http://127.0.0.1:8080 -u admin -p admin probe   # in another shell""",
)
@click.option(
    "--version",
    "version",
    default="3.3.2",
    show_default=True,
    help="The Airflow release to behave as (2.x: /api/v1, 3.x: /api/v2).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--user",
    "users",
    multiple=True,
    callback=_user,
    metavar="NAME:PASSWORD",
    help="A user who may log in (repeatable; default admin:admin).",
)
@click.option(
    "--auto",
    type=click.IntRange(min=1),
    metavar="N",
    help="Move each run one state on (queued, running, success) every N requests.",
)
def fake_server(
    version: str, host: str, port: int, users: dict[str, str], auto: int | None
) -> None:
    """Serve a fake Airflow (in memory, with the project's bridge_* DAGs) until Ctrl-C."""
    from airflow_bridge.testing import serve_forever

    def ready(url: str) -> None:
        names = ", ".join(users)
        click.echo(f"Fake Airflow {version} at {url} (users: {names}). Ctrl-C to stop.")

    # Stop cleanly on Ctrl-C and on SIGTERM, also when started in the background, where
    # the shell has Python ignore SIGINT.
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        serve_forever(version, host=host, port=port, ready=ready, stop=stop, users=users, auto=auto)
    except ValueError as exc:  # an unknown version
        raise click.BadParameter(str(exc), param_hint="--version") from None
    except OSError as exc:  # the port is taken
        raise click.ClickException(f"cannot listen on {host}:{port} ({exc.strerror})") from None
