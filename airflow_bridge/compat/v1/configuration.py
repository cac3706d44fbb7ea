"""`airflow_client.client.configuration`."""

from airflow_bridge.compat._session import Configuration

__all__ = ["Configuration"]
