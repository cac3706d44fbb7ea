"""`airflow_client.client.api` (3.x): only `DagRunApi` is provided."""

from airflow_bridge.compat.v2._api import DagRunApi

__all__ = ["DagRunApi"]
