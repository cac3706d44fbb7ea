"""`airflow_client.client.models.response_clear_dag_run` (3.x)."""

from airflow_bridge.compat.v2._models import ResponseClearDagRun

__all__ = ["ResponseClearDagRun"]
