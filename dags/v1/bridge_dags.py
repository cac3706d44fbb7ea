"""Test DAGs for Airflow 2.x servers (Dataset-era imports)."""

from datetime import datetime

from airflow import DAG
from airflow.datasets import Dataset
from airflow.operators.empty import EmptyOperator
from airflow.operators.python import PythonOperator

BRIDGE_DATASET = Dataset("bridge://datasets/one")
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
    PythonOperator(task_id="produce", python_callable=_produce, outlets=[BRIDGE_DATASET])

with DAG("bridge_consumer", schedule=[BRIDGE_DATASET], start_date=START, catchup=False,
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
