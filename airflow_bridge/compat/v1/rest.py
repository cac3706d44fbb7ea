"""`airflow_client.client.rest`: only its ApiException (the HTTP layer is the facade)."""

from airflow_bridge.compat._errors import ApiException as ApiException
