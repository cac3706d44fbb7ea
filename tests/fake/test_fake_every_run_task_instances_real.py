"""Real tier: the fakes answer a task instance listing of run "~" (every run) and of dag "~"
(every DAG) as their live servers do: the same status, the same body keys (an error's whole
body), and on both the same rule for what is counted. The live servers hold other tests' runs,
so totals are compared by that rule rather than equal."""

from __future__ import annotations

from typing import Any

import pytest
from raw_http import raw, raw_fake

from airflow_bridge.testing import FakeAirflow

pytestmark = pytest.mark.real

DAGS = ("bridge_plain", "~", "nosuch")


def seeded(version: str) -> FakeAirflow:
    fake = FakeAirflow(version)
    for n in range(3):
        fake.add_run("bridge_plain", f"plain-{n}", state="success")
    fake.add_run("bridge_failing", "failing-0")
    return fake


def answers(http: Any, api: str) -> dict[str, Any]:
    return {dag: http.get(f"/api/{api}/dags/{dag}/dagRuns/~/taskInstances") for dag in DAGS}


def shape(answer: Any) -> tuple[int, Any]:
    body = answer.json()
    return answer.status_code, sorted(body) if answer.status_code == 200 else body


def test_every_run_listings_match_the_live_server(live_server: dict[str, Any]) -> None:
    api, version = str(live_server["api"]), str(live_server["version"])
    with raw(str(live_server["base_url"]), api) as live, raw_fake(seeded(version)) as faked:
        seen, fake = answers(live, api), answers(faked, api)
    for dag in DAGS:
        assert shape(fake[dag]) == shape(seen[dag]), dag
    for side in (seen, fake):
        plain, every = side["bridge_plain"].json(), side["~"].json()
        listed = plain["task_instances"]
        assert {ti["dag_id"] for ti in listed} == {"bridge_plain"}
        assert len({ti["dag_run_id"] for ti in listed}) > 1  # more than one run
        assert every["total_entries"] >= plain["total_entries"] > 0
        assert len({ti["dag_id"] for ti in every["task_instances"]}) > 1
