"""Test DAGs for Airflow 3.x servers (Task SDK and Asset imports)."""

from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, Asset

BRIDGE_ASSET = Asset(name="bridge_one", uri="bridge://datasets/one")
START = datetime(2024, 1, 1)


def _produce() -> None:
    print("producing bridge://datasets/one")


#: What bridge_failing's task raises; the runbook tests look for it in the task's log.
BRIDGE_FAILURE = "bridge_failing: planned failure for the runbook tests"


def _explode() -> None:
    print("bridge_failing: about to fail")
    raise RuntimeError(BRIDGE_FAILURE)


with DAG("bridge_plain", schedule=None, start_date=START, catchup=False, tags=["bridge"]):
    EmptyOperator(task_id="first") >> EmptyOperator(task_id="second")

with DAG("bridge_producer", schedule=None, start_date=START, catchup=False, tags=["bridge"]):
    PythonOperator(task_id="produce", python_callable=_produce, outlets=[BRIDGE_ASSET])

with DAG("bridge_consumer", schedule=[BRIDGE_ASSET], start_date=START, catchup=False,
         tags=["bridge"]):
    EmptyOperator(task_id="consume")

# Paused at creation: the runbook tests unpause it, trigger it, and read why `explode` failed.
with DAG("bridge_failing", schedule=None, start_date=START, catchup=False, tags=["bridge"],
         is_paused_upon_creation=True):
    (
        EmptyOperator(task_id="setup")
        >> PythonOperator(task_id="explode", python_callable=_explode, retries=0)
        >> EmptyOperator(task_id="after")
    )
