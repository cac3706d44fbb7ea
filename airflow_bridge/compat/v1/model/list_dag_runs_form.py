"""`airflow_client.client.model.list_dag_runs_form` (2.x)."""

from airflow_bridge.compat.v1._models import ListDagRunsForm

__all__ = ["ListDagRunsForm"]
