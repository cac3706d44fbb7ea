"""`airflow_client.client.models.dag_run_response` (3.x)."""

from airflow_bridge.compat.v2._models import DAGRunResponse

__all__ = ["DAGRunResponse"]
