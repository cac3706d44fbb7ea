"""`python -m airflow_bridge.cli`: the same as the `airflow-bridge` command."""

from airflow_bridge.cli import main

main()
