"""`airflow_client.client.models.task_instance_response` (3.x)."""

from airflow_bridge.compat.v2._models import TaskInstanceResponse

__all__ = ["TaskInstanceResponse"]
