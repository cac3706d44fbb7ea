"""`airflow_client.client.models` (2.x): every DAG run model in one namespace."""

from airflow_bridge.compat.v1._models import BasicDAGRun as BasicDAGRun
from airflow_bridge.compat.v1._models import ClearDagRun as ClearDagRun
from airflow_bridge.compat.v1._models import DAGRun as DAGRun
from airflow_bridge.compat.v1._models import DAGRunCollection as DAGRunCollection
from airflow_bridge.compat.v1._models import DagState as DagState
from airflow_bridge.compat.v1._models import DatasetEvent as DatasetEvent
from airflow_bridge.compat.v1._models import DatasetEventCollection as DatasetEventCollection
from airflow_bridge.compat.v1._models import Error as Error
from airflow_bridge.compat.v1._models import ListDagRunsForm as ListDagRunsForm
from airflow_bridge.compat.v1._models import SetDagRunNote as SetDagRunNote
from airflow_bridge.compat.v1._models import TaskInstanceReference as TaskInstanceReference
from airflow_bridge.compat.v1._models import (
    TaskInstanceReferenceCollection as TaskInstanceReferenceCollection,
)
from airflow_bridge.compat.v1._models import UpdateDagRunState as UpdateDagRunState
