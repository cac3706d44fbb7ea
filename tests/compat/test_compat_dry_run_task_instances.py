"""v2 `clear_dag_run(dry_run=True)` returns every task instance field the server sent, typed
as apache-airflow-client 3.3.2's TaskInstanceResponse types it (live 3.3.2 sends try_number,
dates, id, dag_version, ...; the official 3.3.2 client itself fails to read that answer)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from uuid import UUID

import httpx

from airflow_bridge.compat import v2
from airflow_bridge.compat.v2 import DagRunApi, DAGRunClearBody, TriggerDAGRunPostBody
from airflow_bridge.compat.v2.models import DagVersionResponse
from airflow_bridge.testing import FakeAirflow

WHEN = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)


def api_client(fake: FakeAirflow) -> v2.ApiClient:
    configuration = v2.Configuration(host=fake.base_url, username="admin", password="admin")
    configuration.transport = fake.transport()
    return v2.ApiClient(configuration)


def dry_run(fake: FakeAirflow) -> tuple[list[Any], list[dict[str, Any]]]:
    """The layer's task instances and the server's own dry-run body for the same run."""
    with api_client(fake) as client:
        api = DagRunApi(client)
        api.trigger_dag_run(
            "bridge_plain", TriggerDAGRunPostBody(dag_run_id="r", logical_date=WHEN)
        )
        fake.advance("r")
        result = api.clear_dag_run("bridge_plain", "r", DAGRunClearBody(dry_run=True))
    prefix = "/api/v2" if fake.api == "v2" else "/api/v1"
    with httpx.Client(transport=fake.transport(), base_url=fake.base_url) as http:
        headers = {}
        if fake.api == "v2":
            token = http.post("/auth/token", json={"username": "admin", "password": "admin"})
            headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        raw = http.post(
            f"{prefix}/dags/bridge_plain/dagRuns/r/clear",
            json={"dry_run": True},
            headers=headers,
            auth=("admin", "admin") if fake.api == "v1" else None,
        ).json()["task_instances"]
    return list(result.actual_instance.task_instances), raw


def test_airflow_3_task_instances_keep_every_field_the_server_sent() -> None:
    tis, raw = dry_run(FakeAirflow("3.3.2"))
    assert [ti.task_id for ti in tis] == [body["task_id"] for body in raw] == ["first", "second"]
    for ti, body in zip(tis, raw, strict=True):
        assert set(ti.to_dict()) == {name for name, value in body.items() if value is not None}
        assert ti.try_number == body["try_number"] == 1
        assert ti.state == ti.state.value == body["state"]
        assert ti.max_tries == body["max_tries"] and ti.pool == body["pool"]
        assert isinstance(ti.start_date, datetime) and ti.start_date.tzinfo is not None
        assert ti.start_date.isoformat().replace("+00:00", "Z")[:19] == body["start_date"][:19]
        assert ti.id == UUID(body["id"])
        assert isinstance(ti.dag_version, DagVersionResponse)
        assert ti.dag_version.version_number == body["dag_version"]["version_number"]
        assert isinstance(ti.dag_version.created_at, datetime)


def test_airflow_2_references_give_the_logical_date_and_leave_the_rest_none() -> None:
    """The differences table's row: what Airflow 2's dry run cannot fill."""
    tis, raw = dry_run(FakeAirflow("2.10.5"))
    assert set(raw[0]) == {"dag_id", "dag_run_id", "execution_date", "task_id"}
    assert [ti.logical_date for ti in tis] == [WHEN, WHEN]
    assert [(ti.try_number, ti.pool, ti.state, ti.map_index) for ti in tis] == [
        (None, None, None, -1)
    ] * 2
