"""`airflow_client.client.model.task_instance_reference_collection` (2.x)."""

from airflow_bridge.compat.v1._models import TaskInstanceReferenceCollection

__all__ = ["TaskInstanceReferenceCollection"]
