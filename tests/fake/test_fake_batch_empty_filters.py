"""An empty `dag_ids` or `states` list in the batch list body filters nothing: live 2.10.5
(`POST /api/v1/dags/~/dagRuns/list`) and 3.3.2 (`POST /api/v2/dags/~/dagRuns/list`) count
the same runs as without the field. The fake 3.3.2 used to count none.
test_fake_batch_empty_filters_real.py compares with the live servers."""

from __future__ import annotations

from typing import Any

import pytest
from raw_http import raw_fake

from airflow_bridge.testing import FakeAirflow

BODIES: list[dict[str, Any]] = [
    {"dag_ids": []},
    {"states": []},
    {"dag_ids": [], "states": []},
    {"dag_ids": ["bridge_plain"], "states": []},
]


@pytest.mark.parametrize("version", ["2.10.5", "3.3.2"])
@pytest.mark.parametrize("body", BODIES)
def test_an_empty_list_counts_as_the_field_left_out(version: str, body: dict[str, Any]) -> None:
    fake = FakeAirflow(version)
    for n in range(3):
        fake.add_run("bridge_plain", f"plain-{n}", state="success")
    fake.add_run("bridge_failing", "failing-0")
    path = f"/api/{fake.api}/dags/~/dagRuns/list"
    without = {key: value for key, value in body.items() if value}
    with raw_fake(fake) as http:
        answer = http.post(path, json=body)
        expected = http.post(path, json=without).json()["total_entries"]
    assert answer.status_code == 200
    assert answer.json()["total_entries"] == expected == (3 if without else 4)
