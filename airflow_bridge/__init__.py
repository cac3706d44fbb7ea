"""airflow_bridge: one typed DagRun API over Airflow 2 (/api/v1) and Airflow 3 (/api/v2).

from airflow_bridge import Client
with Client("http://127.0.0.1:8080", username="admin", password="admin") as client:
    run = client.dag_runs.trigger("etl", conf={"x": 1})
"""

from airflow_bridge._async.client import AsyncClient
from airflow_bridge._async.dag_runs import AsyncDagRuns, AsyncRunIterator
from airflow_bridge._async.dags import AsyncDags
from airflow_bridge._async.tasks import AsyncTaskInstances
from airflow_bridge._sync.client import Client
from airflow_bridge._sync.dag_runs import DagRuns, RunIterator
from airflow_bridge._sync.dags import Dags
from airflow_bridge._sync.tasks import TaskInstances
from airflow_bridge.models import (
    AssetEvent,
    ClearedTaskInstance,
    ClearResult,
    Dag,
    DagRun,
    DagRunRef,
    DagRunState,
    LogChunk,
    LogRecord,
    RunType,
    ServerInfo,
    TaskInstance,
)
from airflow_bridge.retries import RetryPolicy
from airflow_bridge.types import ApiChoice, Capability, RunFilters

__all__ = [
    "ApiChoice",
    "AssetEvent",
    "AsyncClient",
    "AsyncDagRuns",
    "AsyncDags",
    "AsyncRunIterator",
    "AsyncTaskInstances",
    "Capability",
    "ClearResult",
    "ClearedTaskInstance",
    "Client",
    "Dag",
    "DagRun",
    "DagRunRef",
    "DagRunState",
    "DagRuns",
    "Dags",
    "LogChunk",
    "LogRecord",
    "RetryPolicy",
    "RunFilters",
    "RunIterator",
    "RunType",
    "ServerInfo",
    "TaskInstance",
    "TaskInstances",
]


def __getattr__(name: str) -> str:
    """`__version__`, the installed distribution's version, read only when asked.

    pyproject.toml stays its one source; reading it lazily keeps importlib.metadata (about
    5 ms, measured on this project's machine) out of `import airflow_bridge`. The package
    only imports when installed (adapters/ is mapped in by the install), so the metadata is
    always there.
    """
    if name == "__version__":
        from importlib.metadata import version

        return version("airflow-bridge")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
