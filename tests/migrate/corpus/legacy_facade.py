"""Early airflow_bridge code that still reads Airflow 2 names."""

from datetime import datetime, timezone

from airflow_bridge import Client

with Client("http://localhost:8080", username="admin", password="admin") as client:
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    for run in client.dag_runs.iter("etl", execution_date_gte=start):  # expect: AB104
        print(run.run_id, run.execution_date)  # expect: AB103
        if run.run_type == "dataset_triggered":  # expect: AB108
            print("triggered by a dataset")
