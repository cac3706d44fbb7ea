"""A small async service that watches dataset-triggered runs through Airflow 2's REST API."""

import httpx

AIRFLOW = "http://airflow:8080"


async def dataset_runs(dag_id: str) -> list[dict]:
    async with httpx.AsyncClient(
        base_url=f"{AIRFLOW}/api/v1",  # expect: AB105
        auth=httpx.BasicAuth("watcher", "secret"),  # expect: AB107
    ) as http:
        newest_first = {"order_by": "-execution_date"}  # expect: AB103
        answer = await http.get(f"/dags/{dag_id}/dagRuns", params=newest_first)
        runs = answer.json()["dag_runs"]
        found = [r for r in runs if r["run_type"] == "dataset_triggered"]  # expect: AB108
        for run in found:
            await http.patch(
                f"/dags/{dag_id}/dagRuns/{run['dag_run_id']}/setNote",  # expect: AB106
                json={"note": "seen by the watcher"},
            )
        return sorted(found, key=lambda r: r["execution_date"])  # expect: AB103
