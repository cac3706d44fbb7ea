"""`airflow_client.client.models.clear_task_instance_collection_response` (3.x)."""

from airflow_bridge.compat.v2._models import ClearTaskInstanceCollectionResponse

__all__ = ["ClearTaskInstanceCollectionResponse"]
