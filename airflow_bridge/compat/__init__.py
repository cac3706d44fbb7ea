"""Compatibility layers: code written for the official apache-airflow-client runs on both
Airflow generations through airflow_bridge.

- `airflow_bridge.compat.v1`: the 2.x client's names (`DAGRunApi.post_dag_run`, ...).
- `airflow_bridge.compat.v2`: the 3.x client's names (`DagRunApi.trigger_dag_run`, ...).
- `install_as_airflow_client("v1")`: `import airflow_client.client` resolves to a layer, for
  code that cannot be edited (or `python -m airflow_bridge.compat --layer v1 script.py`).
"""

from airflow_bridge.compat._install import install_as_airflow_client

__all__ = ["install_as_airflow_client"]
