"""`airflow_client.client.model.clear_dag_run` (2.x)."""

from airflow_bridge.compat.v1._models import ClearDagRun

__all__ = ["ClearDagRun"]
