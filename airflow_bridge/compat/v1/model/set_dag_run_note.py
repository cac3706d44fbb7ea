"""`airflow_client.client.model.set_dag_run_note` (2.x)."""

from airflow_bridge.compat.v1._models import SetDagRunNote

__all__ = ["SetDagRunNote"]
