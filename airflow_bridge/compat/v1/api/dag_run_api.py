"""`airflow_client.client.api.dag_run_api` (2.x)."""

from airflow_bridge.compat.v1._api import DAGRunApi

__all__ = ["DAGRunApi"]
