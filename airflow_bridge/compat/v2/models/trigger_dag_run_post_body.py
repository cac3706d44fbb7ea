"""`airflow_client.client.models.trigger_dag_run_post_body` (3.x)."""

from airflow_bridge.compat.v2._models import TriggerDAGRunPostBody

__all__ = ["TriggerDAGRunPostBody"]
