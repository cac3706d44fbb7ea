"""`airflow_client.client.models` (3.x): the DAG run models."""

from airflow_bridge.compat.v2._models import (
    AssetEventCollectionResponse as AssetEventCollectionResponse,
)
from airflow_bridge.compat.v2._models import AssetEventResponse as AssetEventResponse
from airflow_bridge.compat.v2._models import (
    ClearTaskInstanceCollectionResponse as ClearTaskInstanceCollectionResponse,
)
from airflow_bridge.compat.v2._models import DagRunAssetReference as DagRunAssetReference
from airflow_bridge.compat.v2._models import DAGRunClearBody as DAGRunClearBody
from airflow_bridge.compat.v2._models import DAGRunCollectionResponse as DAGRunCollectionResponse
from airflow_bridge.compat.v2._models import DagRunMutableStates as DagRunMutableStates
from airflow_bridge.compat.v2._models import DAGRunPatchBody as DAGRunPatchBody
from airflow_bridge.compat.v2._models import DAGRunResponse as DAGRunResponse
from airflow_bridge.compat.v2._models import DAGRunsBatchBody as DAGRunsBatchBody
from airflow_bridge.compat.v2._models import DagRunState as DagRunState
from airflow_bridge.compat.v2._models import DagRunTriggeredByType as DagRunTriggeredByType
from airflow_bridge.compat.v2._models import DagRunType as DagRunType
from airflow_bridge.compat.v2._models import DagVersionResponse as DagVersionResponse
from airflow_bridge.compat.v2._models import ResponseClearDagRun as ResponseClearDagRun
from airflow_bridge.compat.v2._models import (
    TaskInstanceCollectionResponse as TaskInstanceCollectionResponse,
)
from airflow_bridge.compat.v2._models import TaskInstanceResponse as TaskInstanceResponse
from airflow_bridge.compat.v2._models import TriggerDAGRunPostBody as TriggerDAGRunPostBody
