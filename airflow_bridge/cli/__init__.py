"""`airflow-bridge`: the command line for one Airflow server or a mixed fleet (needs `[cli]`).

Commands live in their own modules and register on the `cli` group when imported (here);
`main()` is the console script's entry point. Without the `[cli]` extra (click, rich) the
command still starts and says how to install it, as httpx's command does.
"""

from __future__ import annotations

import sys

#: The top-level modules the `[cli]` extra installs.
EXTRA_MODULES = frozenset({"click", "rich", "yaml", "platformdirs"})
MISSING_EXTRA = (
    "airflow-bridge: the command line needs the optional [cli] dependencies "
    "({missing} is not installed).\n"
    "Install them with: pip install 'airflow-bridge[cli]'"
)

try:
    from airflow_bridge.cli._app import cli, probe
    from airflow_bridge.cli._contexts import config
    from airflow_bridge.cli._dags import dags
    from airflow_bridge.cli._demo import demo
    from airflow_bridge.cli._fake_server import fake_server
    from airflow_bridge.cli._migrate import migrate
    from airflow_bridge.cli._runs import runs
    from airflow_bridge.cli._tasks import clear_tasks, logs, tasks

    cli.add_command(config)
except ModuleNotFoundError as error:
    if (error.name or "").partition(".")[0] not in EXTRA_MODULES:
        raise
    _missing = error.name

    def main() -> None:
        """Say how to install the `[cli]` extra and exit with status 1."""
        sys.exit(MISSING_EXTRA.format(missing=_missing))

else:

    def main() -> None:
        """Run the command line (exit codes: `airflow-bridge --help`)."""
        cli.main(prog_name="airflow-bridge", auto_envvar_prefix=None)


__all__ = [
    "clear_tasks",
    "cli",
    "config",
    "dags",
    "demo",
    "fake_server",
    "logs",
    "main",
    "migrate",
    "probe",
    "runs",
    "tasks",
]
