"""`airflow_client.client.model.basic_dag_run` (2.x)."""

from airflow_bridge.compat.v1._models import BasicDAGRun

__all__ = ["BasicDAGRun"]
