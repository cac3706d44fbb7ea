"""`airflow_client.client.models.dag_run_patch_body` (3.x)."""

from airflow_bridge.compat.v2._models import DAGRunPatchBody

__all__ = ["DAGRunPatchBody"]
