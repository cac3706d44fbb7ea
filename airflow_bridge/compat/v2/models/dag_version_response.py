"""`airflow_client.client.models.dag_version_response` (3.x)."""

from airflow_bridge.compat.v2._models import DagVersionResponse

__all__ = ["DagVersionResponse"]
