"""Run id "~" in a task instance listing means every run of the DAG, and dag_id "~" every
DAG (both specs). Seen on live 2.10.5 and 3.3.2: 200 with every run's instances; an unknown
DAG's "~" is an empty page on 2.10.5 and a 404 on 3.3.2. The fake 3.3.2 used to take "~" for
a run id and answer 404. test_fake_every_run_task_instances_real.py compares with the live
servers."""

from __future__ import annotations

import pytest
from raw_http import raw_fake, seeded


@pytest.mark.parametrize("version", ["2.10.5", "3.3.2"])
def test_tilde_lists_every_run_of_the_dag_and_of_every_dag(version: str) -> None:
    fake = seeded(version)
    path = f"/api/{fake.api}/dags/{{}}/dagRuns/~/taskInstances"
    with raw_fake(fake) as http:
        plain = http.get(path.format("bridge_plain"))
        every = http.get(path.format("~"))
    assert (plain.status_code, every.status_code) == (200, 200)
    listed = plain.json()["task_instances"]
    assert plain.json()["total_entries"] == len(listed) == 6
    assert {ti["dag_run_id"] for ti in listed} == {"plain-0", "plain-1", "plain-2"}
    assert {ti["dag_id"] for ti in every.json()["task_instances"]} == {
        "bridge_plain",
        "bridge_failing",
    }
    assert every.json()["total_entries"] == sum(len(r.tasks) for r in fake.store.all_runs()) > 6


@pytest.mark.parametrize("version", ["2.10.5", "3.3.2"])
def test_tilde_runs_page_with_limit_and_offset(version: str) -> None:
    fake = seeded(version)
    path = f"/api/{fake.api}/dags/bridge_plain/dagRuns/~/taskInstances"
    with raw_fake(fake) as http:
        answer = http.get(path, params={"limit": "2", "offset": "3"}).json()
    assert answer["total_entries"] == 6
    assert len(answer["task_instances"]) == 2


def test_an_unknown_dags_runs_are_an_empty_page_on_2_10_5() -> None:
    with raw_fake(seeded("2.10.5")) as http:
        answer = http.get("/api/v1/dags/nosuch/dagRuns/~/taskInstances")
    assert answer.status_code == 200
    assert answer.json() == {"task_instances": [], "total_entries": 0}


def test_an_unknown_dags_runs_are_a_404_on_3_3_2() -> None:
    with raw_fake(seeded("3.3.2")) as http:
        answer = http.get("/api/v2/dags/nosuch/dagRuns/~/taskInstances")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "The Dag with ID: `nosuch` was not found"}
