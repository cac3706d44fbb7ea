"""`airflow_client.client.models.dag_run_state` (3.x)."""

from airflow_bridge.compat.v2._models import DagRunState

__all__ = ["DagRunState"]
