"""`airflow_client.client.api_client`."""

from airflow_bridge.compat._session import ApiClient

__all__ = ["ApiClient"]
