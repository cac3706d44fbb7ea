"""The fake's task instances hold the values each release's recording holds, not only the
shapes the contract test compares: which tasks a failed `bridge_failing` run has, their
states and try numbers (2.9.3 and before count no try for an EmptyOperator the scheduler
marked success; 2.10+ count one), what a real clear answers (nothing on 2.6.3, which runs
its only_failed query again after clearing) and the try the failing task reaches then."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_bridge import Client
from airflow_bridge.testing import FakeAirflow

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
RECORDED = sorted(p.parent.name for p in FIXTURES.glob("*/ti_list.json"))


def recorded(version: str, scenario: str) -> Any:
    return json.loads((FIXTURES / version / f"{scenario}.json").read_text())["response"]["body"]


def test_the_runbook_is_recorded_on_both_generations() -> None:
    assert {"2.10.5", "3.3.2"} <= set(RECORDED)


@pytest.mark.parametrize("version", RECORDED)
def test_task_instances_as_recorded(version: str) -> None:
    fake = FakeAirflow(version)
    with Client(
        fake.base_url, username="admin", password="admin", transport=fake.transport(), retries=0
    ) as client:
        client.dags.unpause("bridge_failing")
        client.dag_runs.trigger("bridge_failing", run_id="rb")
        fake.advance("rb", "failed")
        listed = client.task_instances.list("bridge_failing", "rb")
        assert [(t.task_id, t.state, t.try_number) for t in listed] == [
            (w["task_id"], w["state"], w["try_number"])
            for w in recorded(version, "ti_list")["task_instances"]
        ]
        cleared = client.task_instances.clear(
            "bridge_failing", "rb", only_failed=True, dry_run=False
        )
        assert sorted(t.task_id for t in cleared.task_instances) == sorted(
            w["task_id"] for w in recorded(version, "clear_ti_real")["task_instances"]
        )
        fake.advance("rb", "failed")
        again = client.task_instances.get("bridge_failing", "rb", "explode")
        wire = recorded(version, "ti_get_second_try")
        assert (again.state, again.try_number) == (wire["state"], wire["try_number"])
