"""The same job on the facade: runs on Airflow 2 and 3."""

from datetime import datetime, timezone

from airflow_bridge import Client, RunType

with Client("http://localhost:8080", username="admin", password="admin") as client:
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    for run in client.dag_runs.iter("etl", logical_date_gte=start, order_by="-logical_date"):
        print(run.run_id, run.logical_date)
        if run.run_type == RunType.ASSET_TRIGGERED:
            for event in client.dag_runs.upstream_events("etl", run.run_id):
                print(event.uri, event.timestamp)
    client.dag_runs.update("etl", "manual__1", state="failed", note="checked")
