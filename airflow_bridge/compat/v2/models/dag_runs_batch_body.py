"""`airflow_client.client.models.dag_runs_batch_body` (3.x)."""

from airflow_bridge.compat.v2._models import DAGRunsBatchBody

__all__ = ["DAGRunsBatchBody"]
