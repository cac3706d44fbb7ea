"""`airflow_client.client.models.dag_run_asset_reference` (3.x)."""

from airflow_bridge.compat.v2._models import DagRunAssetReference

__all__ = ["DagRunAssetReference"]
