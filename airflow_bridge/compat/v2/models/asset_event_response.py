"""`airflow_client.client.models.asset_event_response` (3.x)."""

from airflow_bridge.compat.v2._models import AssetEventResponse

__all__ = ["AssetEventResponse"]
