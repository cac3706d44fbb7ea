"""`airflow_client.client.model.error` (2.x)."""

from airflow_bridge.compat.v1._models import Error

__all__ = ["Error"]
