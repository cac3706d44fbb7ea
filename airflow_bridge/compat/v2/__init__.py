"""apache-airflow-client 3.x (`airflow_client.client`) for DAG runs, on airflow_bridge.

Replace the import prefix `airflow_client.client` with `airflow_bridge.compat.v2` and code
ported to Airflow 3 also runs against the Airflow 2 servers left in a fleet:

    from airflow_bridge.compat.v2 import ApiClient, Configuration, DagRunApi
    with ApiClient(Configuration(host=url, username=u, password=p)) as api:
        run = DagRunApi(api).get_dag_run("etl", "manual__1")

`Configuration` takes `access_token` as the official one does, and also username/password
(a token login on Airflow 3, HTTP Basic on Airflow 2).
"""

from airflow_bridge.compat._errors import (
    ApiAttributeError,
    ApiException,
    ApiKeyError,
    ApiTypeError,
    ApiValueError,
    BadRequestException,
    ConflictException,
    ForbiddenException,
    NotFoundException,
    OpenApiException,
    ServiceException,
    UnauthorizedException,
    UnprocessableEntityException,
)
from airflow_bridge.compat._session import ApiClient, Configuration
from airflow_bridge.compat.v2._api import DagRunApi
from airflow_bridge.compat.v2._models import (
    AssetEventCollectionResponse,
    AssetEventResponse,
    ClearTaskInstanceCollectionResponse,
    DagRunAssetReference,
    DAGRunClearBody,
    DAGRunCollectionResponse,
    DagRunMutableStates,
    DAGRunPatchBody,
    DAGRunResponse,
    DAGRunsBatchBody,
    DagRunState,
    DagRunTriggeredByType,
    DagRunType,
    DagVersionResponse,
    ResponseClearDagRun,
    TaskInstanceCollectionResponse,
    TaskInstanceResponse,
    TriggerDAGRunPostBody,
)

__version__ = "3.3.2"  # the official release whose DAG run surface this mirrors

__all__ = [
    "ApiAttributeError",
    "ApiClient",
    "ApiException",
    "ApiKeyError",
    "ApiTypeError",
    "ApiValueError",
    "AssetEventCollectionResponse",
    "AssetEventResponse",
    "BadRequestException",
    "ClearTaskInstanceCollectionResponse",
    "Configuration",
    "ConflictException",
    "DAGRunClearBody",
    "DAGRunCollectionResponse",
    "DAGRunPatchBody",
    "DAGRunResponse",
    "DAGRunsBatchBody",
    "DagRunApi",
    "DagRunAssetReference",
    "DagRunMutableStates",
    "DagRunState",
    "DagRunTriggeredByType",
    "DagRunType",
    "DagVersionResponse",
    "ForbiddenException",
    "NotFoundException",
    "OpenApiException",
    "ResponseClearDagRun",
    "ServiceException",
    "TaskInstanceCollectionResponse",
    "TaskInstanceResponse",
    "TriggerDAGRunPostBody",
    "UnauthorizedException",
    "UnprocessableEntityException",
]
