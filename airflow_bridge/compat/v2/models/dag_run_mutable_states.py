"""`airflow_client.client.models.dag_run_mutable_states` (3.x)."""

from airflow_bridge.compat.v2._models import DagRunMutableStates

__all__ = ["DagRunMutableStates"]
