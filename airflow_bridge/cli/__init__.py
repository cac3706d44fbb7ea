"""`airflow-bridge`: the command line for one Airflow server or a mixed fleet (needs `[cli]`).

Commands live in their own modules and register on the `cli` group as they are imported;
`main()` is the console script's entry point.
"""

from airflow_bridge.cli import _runs
from airflow_bridge.cli._app import cli

__all__ = ["cli", "main"]

assert _runs  # imported for its commands


def main() -> None:
    """Run the command line (exit codes: 0 ok, 3 some servers failed, 1 all failed, 2 usage)."""
    cli.main(prog_name="airflow-bridge", auto_envvar_prefix=None)
