"""`airflow_client.client.models.dag_run_collection_response` (3.x)."""

from airflow_bridge.compat.v2._models import DAGRunCollectionResponse

__all__ = ["DAGRunCollectionResponse"]
