"""`airflow_client.client.model.dag_run` (2.x)."""

from airflow_bridge.compat.v1._models import DAGRun

__all__ = ["DAGRun"]
