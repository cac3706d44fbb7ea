"""apache-airflow-client 2.x (`airflow_client.client`) for DAG runs, on airflow_bridge.

Replace the import prefix `airflow_client.client` with `airflow_bridge.compat.v1` and the same
code runs against Airflow 2 (/api/v1) and Airflow 3 (/api/v2):

    import airflow_bridge.compat.v1 as client
    from airflow_bridge.compat.v1.api import dag_run_api
    with client.ApiClient(client.Configuration(host=url, username=u, password=p)) as api:
        run = dag_run_api.DAGRunApi(api).get_dag_run("etl", "manual__1")
"""

from airflow_bridge.compat._errors import (
    ApiAttributeError,
    ApiException,
    ApiKeyError,
    ApiTypeError,
    ApiValueError,
    OpenApiException,
)
from airflow_bridge.compat._session import ApiClient, Configuration

__version__ = "2.10.0"  # the official release whose DAG run surface this mirrors

__all__ = [
    "ApiAttributeError",
    "ApiClient",
    "ApiException",
    "ApiKeyError",
    "ApiTypeError",
    "ApiValueError",
    "Configuration",
    "OpenApiException",
]
