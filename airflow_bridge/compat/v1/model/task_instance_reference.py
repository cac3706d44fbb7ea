"""`airflow_client.client.model.task_instance_reference` (2.x)."""

from airflow_bridge.compat.v1._models import TaskInstanceReference

__all__ = ["TaskInstanceReference"]
