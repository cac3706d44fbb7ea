"""`airflow_client.client.model.dag_state` (2.x)."""

from airflow_bridge.compat.v1._models import DagState

__all__ = ["DagState"]
