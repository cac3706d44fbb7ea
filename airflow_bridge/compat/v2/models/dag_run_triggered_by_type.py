"""`airflow_client.client.models.dag_run_triggered_by_type` (3.x)."""

from airflow_bridge.compat.v2._models import DagRunTriggeredByType

__all__ = ["DagRunTriggeredByType"]
