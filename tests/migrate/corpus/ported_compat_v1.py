"""2.x client code kept as it is through the compat layer (only the import prefix changed)."""

import airflow_bridge.compat.v1 as client
from airflow_bridge.compat.v1.api import dag_run_api
from airflow_bridge.compat.v1.model.dag_run import DAGRun

configuration = client.Configuration(
    host="https://airflow.example.com/api/v1", username="etl-bot", password="secret"
)
with client.ApiClient(configuration) as api_client:
    api = dag_run_api.DAGRunApi(api_client)
    run = api.post_dag_run("etl", DAGRun(execution_date=None, conf={}))
    print(run.execution_date, run.state.value)
    listed = api.get_dag_runs("etl", execution_date_gte=run.execution_date)
    for event in api.get_upstream_dataset_events("etl", run.dag_run_id).dataset_events:
        print(event.dataset_uri)
