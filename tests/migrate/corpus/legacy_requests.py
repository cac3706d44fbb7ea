"""An ops script that calls Airflow 2's REST API directly with requests."""

import requests
from requests.auth import HTTPBasicAuth

BASE = "https://airflow.example.com/api/v1"  # expect: AB105
AUTH = ("admin", "admin")


def trigger(dag_id: str, when: str) -> dict:
    answer = requests.post(
        f"{BASE}/dags/{dag_id}/dagRuns",
        json={"execution_date": when, "conf": {}},  # expect: AB103
        auth=AUTH,
    )
    return answer.json()


def note(dag_id: str, run_id: str, text: str) -> None:
    requests.patch(
        f"{BASE}/dags/{dag_id}/dagRuns/{run_id}/setNote",  # expect: AB106
        json={"note": text},
        auth=("admin", "admin"),  # expect: AB107
    )


def recent(dag_id: str, since: str) -> list:
    answer = requests.get(
        f"{BASE}/dags/{dag_id}/dagRuns",
        params={"execution_date_gte": since, "order_by": "-execution_date"},  # expect: AB104 AB103
        auth=HTTPBasicAuth("admin", "admin"),  # expect: AB107
    )
    runs = answer.json()["dag_runs"]
    return [r for r in runs if r["execution_date"] >= since]  # expect: AB103


def datasets(dag_id: str, run_id: str) -> list:
    url = "http://af/api/v1/dags/%s/dagRuns/%s/upstreamDatasetEvents"  # expect: AB105 AB106
    headers = {"Authorization": "Basic YWRtaW46YWRtaW4="}  # expect: AB107
    events = requests.get(url % (dag_id, run_id), headers=headers).json()
    return [e["dataset_uri"] for e in events["dataset_events"]]  # expect: AB109 AB109
