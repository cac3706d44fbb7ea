"""`airflow-bridge`: the command line for one Airflow server or a mixed fleet (needs `[cli]`).

Commands live in their own modules and register on the `cli` group when imported (here);
`main()` is the console script's entry point.
"""

from airflow_bridge.cli._app import cli, probe
from airflow_bridge.cli._demo import demo
from airflow_bridge.cli._fake_server import fake_server
from airflow_bridge.cli._runs import runs

__all__ = ["cli", "demo", "fake_server", "main", "probe", "runs"]


def main() -> None:
    """Run the command line (exit codes: 0 ok, 3 some servers failed, 1 all failed, 2 usage)."""
    cli.main(prog_name="airflow-bridge", auto_envvar_prefix=None)
