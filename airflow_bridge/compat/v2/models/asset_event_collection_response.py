"""`airflow_client.client.models.asset_event_collection_response` (3.x)."""

from airflow_bridge.compat.v2._models import AssetEventCollectionResponse

__all__ = ["AssetEventCollectionResponse"]
