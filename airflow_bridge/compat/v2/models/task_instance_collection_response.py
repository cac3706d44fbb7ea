"""`airflow_client.client.models.task_instance_collection_response` (3.x)."""

from airflow_bridge.compat.v2._models import TaskInstanceCollectionResponse

__all__ = ["TaskInstanceCollectionResponse"]
