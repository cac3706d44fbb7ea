"""Test DAGs for Airflow 3.x servers (Task SDK and Asset imports)."""

from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, Asset

BRIDGE_ASSET = Asset(name="bridge_one", uri="bridge://datasets/one")
START = datetime(2024, 1, 1)


def _produce() -> None:
    print("producing bridge://datasets/one")


with DAG("bridge_plain", schedule=None, start_date=START, catchup=False, tags=["bridge"]):
    EmptyOperator(task_id="first") >> EmptyOperator(task_id="second")

with DAG("bridge_producer", schedule=None, start_date=START, catchup=False, tags=["bridge"]):
    PythonOperator(task_id="produce", python_callable=_produce, outlets=[BRIDGE_ASSET])

with DAG("bridge_consumer", schedule=[BRIDGE_ASSET], start_date=START, catchup=False,
         tags=["bridge"]):
    EmptyOperator(task_id="consume")
