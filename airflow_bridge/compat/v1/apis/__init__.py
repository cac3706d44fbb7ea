"""`airflow_client.client.apis` (2.x)."""

from airflow_bridge.compat.v1._api import DAGRunApi

__all__ = ["DAGRunApi"]
