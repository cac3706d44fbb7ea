"""`airflow_client.client.model.dag_run_collection` (2.x)."""

from airflow_bridge.compat.v1._models import DAGRunCollection

__all__ = ["DAGRunCollection"]
