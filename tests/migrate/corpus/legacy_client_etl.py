"""Nightly re-run of failed ETL runs, written for apache-airflow-client 2.x (Airflow 2.7)."""

import os
from datetime import datetime, timedelta, timezone

import airflow_client.client
from airflow_client.client.api import dag_run_api
from airflow_client.client.model.dag_run import DAGRun  # expect: AB101
from airflow_client.client.model.list_dag_runs_form import ListDagRunsForm  # expect: AB101
from airflow_client.client.model.set_dag_run_note import SetDagRunNote  # expect: AB101
from airflow_client.client.model.update_dag_run_state import UpdateDagRunState  # expect: AB101

configuration = airflow_client.client.Configuration(
    host="https://airflow.example.com/api/v1",  # expect: AB105
    username="etl-bot",  # expect: AB107
    password=os.environ["AIRFLOW_PASSWORD"],
)
since = datetime.now(timezone.utc) - timedelta(days=1)

with airflow_client.client.ApiClient(configuration) as api_client:
    api = dag_run_api.DAGRunApi(api_client)  # expect: AB101
    failed = api.get_dag_runs(
        "etl",
        execution_date_gte=since,  # expect: AB104
        state=["failed"],
        order_by="-execution_date",  # expect: AB103
    )
    for run in failed.dag_runs:
        day = run.execution_date.date()  # expect: AB103
        if run.run_type == "dataset_triggered":  # expect: AB108
            continue
        retry = api.post_dag_run(  # expect: AB102
            "etl",
            DAGRun(
                dag_run_id=f"retry-{run.dag_run_id}",
                execution_date=run.execution_date + timedelta(seconds=1),  # expect: AB103 AB103
                conf=run.conf,
            ),
        )
        note = SetDagRunNote(note=f"retry of {day}")
        api.set_dag_run_note("etl", retry.dag_run_id, note)  # expect: AB102
        done = UpdateDagRunState(state="success")
        api.update_dag_run_state("etl", run.dag_run_id, done)  # expect: AB102
    batch = api.get_dag_runs_batch(ListDagRunsForm(dag_ids=["etl", "load"]))  # expect: AB102
    for run in batch.dag_runs:
        events = api.get_upstream_dataset_events(run.dag_id, run.dag_run_id)  # expect: AB102
        for event in events.dataset_events:  # expect: AB109
            print(event.dataset_uri, event.timestamp)  # expect: AB109
