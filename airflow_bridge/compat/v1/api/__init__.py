"""`airflow_client.client.api` (2.x): only `dag_run_api` is provided."""
