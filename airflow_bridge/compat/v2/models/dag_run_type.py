"""`airflow_client.client.models.dag_run_type` (3.x)."""

from airflow_bridge.compat.v2._models import DagRunType

__all__ = ["DagRunType"]
