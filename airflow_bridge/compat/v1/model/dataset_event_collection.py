"""`airflow_client.client.model.dataset_event_collection` (2.x)."""

from airflow_bridge.compat.v1._models import DatasetEventCollection

__all__ = ["DatasetEventCollection"]
