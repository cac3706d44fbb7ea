"""`?state=` (an empty value) on a run listing: live 2.10.5 keeps the empty state, which no
run has, and lists nothing (while `state=success,` lists the successes); live 3.3.2 refuses
it with a 422. The fake 2.10.5 used to drop the empty value and list every run.
test_fake_empty_state_query_real.py compares with the live servers."""

from __future__ import annotations

from raw_http import raw_fake

from airflow_bridge.testing import FakeAirflow


def seeded(version: str) -> FakeAirflow:
    fake = FakeAirflow(version)
    fake.add_run("bridge_plain", "done-0", state="success")
    fake.add_run("bridge_plain", "done-1", state="success")
    fake.add_run("bridge_plain", "waiting-0")
    return fake


def test_an_empty_state_lists_nothing_on_2_10_5() -> None:
    with raw_fake(seeded("2.10.5")) as http:
        answer = http.get("/api/v1/dags/bridge_plain/dagRuns", params={"state": ""})
    assert answer.status_code == 200
    assert answer.json() == {"dag_runs": [], "total_entries": 0}


def test_an_empty_state_beside_a_real_one_is_ignored_on_2_10_5() -> None:
    with raw_fake(seeded("2.10.5")) as http:
        trailing = http.get("/api/v1/dags/bridge_plain/dagRuns?state=success,")
        repeated = http.get("/api/v1/dags/bridge_plain/dagRuns?state=success&state=")
    assert trailing.json()["total_entries"] == repeated.json()["total_entries"] == 2


def test_an_empty_state_is_a_422_on_3_3_2() -> None:
    with raw_fake(seeded("3.3.2")) as http:
        answer = http.get("/api/v2/dags/bridge_plain/dagRuns", params={"state": ""})
    assert answer.status_code == 422
    assert answer.json() == {
        "detail": "Invalid value for state. Valid values are queued, running, success, failed"
    }
