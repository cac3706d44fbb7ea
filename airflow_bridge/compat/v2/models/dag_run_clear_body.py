"""`airflow_client.client.models.dag_run_clear_body` (3.x)."""

from airflow_bridge.compat.v2._models import DAGRunClearBody

__all__ = ["DAGRunClearBody"]
