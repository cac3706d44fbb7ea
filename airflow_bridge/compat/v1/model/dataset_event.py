"""`airflow_client.client.model.dataset_event` (2.x)."""

from airflow_bridge.compat.v1._models import DatasetEvent

__all__ = ["DatasetEvent"]
