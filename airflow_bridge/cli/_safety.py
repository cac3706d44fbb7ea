"""Confirmation before a write reaches several servers (`trigger`, `set-state`, `note`,
`delete`, `dags pause`/`unpause`; `clear`/`clear-tasks` are dry runs unless --yes).

On a terminal the servers are listed and the user asked; elsewhere (a script, CI) the
command needs `--yes` or an explicit `-s`, so a fleet file never gets written to by
accident. A declined confirmation exits 1, a refusal for lack of --yes exits 2.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

import click

from airflow_bridge.fleet import Server
from airflow_bridge.fleet._config import redact_url


def confirm_write(
    what: str,
    servers: Mapping[str, Server],
    *,
    yes: bool,
    explicit: bool,
    always: bool = False,
) -> None:
    """Ask (terminal) or require --yes/-s (no terminal) before `what` runs on `servers`.

    Args:
        what: The action, e.g. "trigger etl".
        servers: The selected servers.
        yes: --yes was given: no question.
        explicit: -s chose the servers (counts as consent without a terminal).
        always: Ask even for one server (delete).
    """
    if yes or (len(servers) < 2 and not always):
        return
    listing = "\n".join(f"  {name}  {redact_url(s.url)}" for name, s in servers.items())
    if sys.stdin.isatty():
        click.echo(f"{what} on {len(servers)} server(s):\n{listing}", err=True)
        click.confirm("Continue?", abort=True, err=True)
        return
    if explicit:
        return
    raise click.UsageError(
        f"{what} would change {len(servers)} server(s) ({', '.join(servers)}), and there is no "
        "terminal to ask on: add --yes, or choose the servers with -s"
    )
