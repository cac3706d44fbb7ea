"""`airflow_client.client.model` (2.x): one module per model, as in the official client."""
