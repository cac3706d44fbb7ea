"""`airflow_client.client.api.dag_run_api` (3.x)."""

from airflow_bridge.compat.v2._api import DagRunApi

__all__ = ["DagRunApi"]
