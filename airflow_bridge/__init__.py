"""airflow_bridge: one typed DagRun API over Airflow 2 (/api/v1) and Airflow 3 (/api/v2).

from airflow_bridge import Client
with Client("http://127.0.0.1:8080", username="admin", password="admin") as client:
    run = client.dag_runs.trigger("etl", conf={"x": 1})
"""

from airflow_bridge._client import AsyncClient, Client
from airflow_bridge._dag_runs import AsyncDagRuns, DagRuns
from airflow_bridge._plans import RunFilters
from airflow_bridge.models import (
    AssetEvent,
    ClearedTaskInstance,
    ClearResult,
    DagRun,
    DagRunRef,
    DagRunState,
    RunType,
    ServerInfo,
)

__all__ = [
    "AssetEvent",
    "AsyncClient",
    "AsyncDagRuns",
    "ClearResult",
    "ClearedTaskInstance",
    "Client",
    "DagRun",
    "DagRunRef",
    "DagRunState",
    "DagRuns",
    "RunFilters",
    "RunType",
    "ServerInfo",
]
