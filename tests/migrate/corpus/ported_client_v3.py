"""Code already ported to apache-airflow-client 3.x (Airflow 3)."""

import os

import airflow_client.client
from airflow_client.client.models.dag_run_patch_body import DAGRunPatchBody
from airflow_client.client.models.trigger_dag_run_post_body import TriggerDAGRunPostBody

configuration = airflow_client.client.Configuration(host="https://airflow.example.com")
configuration.access_token = os.environ["ACCESS_TOKEN"]

with airflow_client.client.ApiClient(configuration) as api_client:
    api = airflow_client.client.DagRunApi(api_client)
    run = api.trigger_dag_run("etl", TriggerDAGRunPostBody(logical_date=None, conf={}))
    api.patch_dag_run("etl", run.dag_run_id, DAGRunPatchBody(note="ok"), update_mask=["note"])
    for event in api.get_upstream_asset_events("etl", run.dag_run_id).asset_events:
        print(event.uri)
