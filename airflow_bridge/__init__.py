"""airflow_bridge: one typed DagRun API over Airflow 2 and Airflow 3."""
