"""`airflow_client.client.model.update_dag_run_state` (2.x)."""

from airflow_bridge.compat.v1._models import UpdateDagRunState

__all__ = ["UpdateDagRunState"]
