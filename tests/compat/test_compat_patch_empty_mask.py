"""v2 `patch_dag_run(..., update_mask=[])` updates the fields set in the body, as
apache-airflow-client 3.3.2 against live Airflow 3.3.2 does: the empty mask is not sent, and
the server answered 200 with the note applied (recorded 2026-11-29), and 200 with the run
unchanged for an empty body."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from airflow_bridge.compat import v2
from airflow_bridge.compat.v2 import DagRunApi, DAGRunPatchBody, DagRunState
from airflow_bridge.compat.v2 import TriggerDAGRunPostBody as Trigger
from airflow_bridge.testing import FakeAirflow

WHEN = datetime(2022, 9, 14, 3, 0, tzinfo=timezone.utc)


@pytest.mark.airflow_versions("2.10.5", "3.3.2")
def test_an_empty_update_mask_updates_the_bodys_fields(fake_airflow: FakeAirflow) -> None:
    configuration = v2.Configuration(host=fake_airflow.base_url, username="admin", password="admin")
    configuration.transport = fake_airflow.transport()
    with v2.ApiClient(configuration) as client:
        api = DagRunApi(client)
        api.trigger_dag_run("bridge_plain", Trigger(dag_run_id="r", logical_date=WHEN))
        noted = api.patch_dag_run("bridge_plain", "r", DAGRunPatchBody(note="z"), update_mask=[])
        assert (noted.note, noted.state) == ("z", DagRunState.QUEUED)
        both = DAGRunPatchBody(note="y", state="failed")
        changed = api.patch_dag_run("bridge_plain", "r", both, update_mask=[])
        assert (changed.note, changed.state) == ("y", DagRunState.FAILED)
        assert api.get_dag_run("bridge_plain", "r").note == "y"


@pytest.mark.airflow_versions("2.10.5", "3.3.2")
def test_nothing_to_update_returns_the_run_unchanged(fake_airflow: FakeAirflow) -> None:
    """Live 3.3.2 answered an empty body with `update_mask=[]` 200 and the run unchanged."""
    configuration = v2.Configuration(host=fake_airflow.base_url, username="admin", password="admin")
    configuration.transport = fake_airflow.transport()
    with v2.ApiClient(configuration) as client:
        api = DagRunApi(client)
        api.trigger_dag_run("bridge_plain", Trigger(dag_run_id="r", logical_date=WHEN, note="n"))
        for mask in ([], None):
            run = api.patch_dag_run("bridge_plain", "r", DAGRunPatchBody(), update_mask=mask)
            assert (run.dag_run_id, run.note, run.state) == ("r", "n", DagRunState.QUEUED)
    assert [r for r in fake_airflow.requests if r.method == "PATCH"] == []
