"""Pure translation between the facade and each Airflow API generation (no I/O)."""
