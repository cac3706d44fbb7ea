"""The library's public Client against the fake: what a user's own tests look like.

Every test taking `fake_airflow` runs twice, against an Airflow 2.10.5 and an Airflow 3.3.2
fake (the pytest plugin parametrizes it).
"""

from __future__ import annotations

import httpx
import pytest

from airflow_bridge import AsyncClient, Client, DagRunState
from airflow_bridge.errors import (
    ApiError,
    NotFound,
    PermissionDenied,
    ServerError,
    TransportError,
    UnsupportedOperation,
)
from airflow_bridge.testing import FakeAirflow


def connect(
    fake: FakeAirflow, user: str = "admin", timeout: float = 30.0, retries: int | None = None
) -> Client:
    return Client(
        fake.base_url,
        username=user,
        password=user,
        transport=fake.transport(),
        timeout=timeout,
        retries=retries,
    )


def test_trigger_get_list_update_clear_delete(fake_airflow: FakeAirflow) -> None:
    with connect(fake_airflow) as client:
        assert client.server.api == fake_airflow.api
        run = client.dag_runs.trigger("bridge_plain", run_id="r1", conf={"x": 1})
        assert (run.run_id, run.state, run.conf) == ("r1", DagRunState.QUEUED, {"x": 1})
        assert client.dag_runs.get("bridge_plain", "r1") == run
        assert [r.run_id for r in client.dag_runs.list("bridge_plain")] == ["r1"]

        updated = client.dag_runs.update("bridge_plain", "r1", state="failed", note="why")
        assert (updated.state, updated.note) == (DagRunState.FAILED, "why")

        dry = client.dag_runs.clear("bridge_plain", "r1")
        assert [ti.task_id for ti in dry.task_instances] == ["first", "second"]
        cleared = client.dag_runs.clear("bridge_plain", "r1", dry_run=False)
        assert cleared.dag_run is not None and cleared.dag_run.state == DagRunState.QUEUED

        client.dag_runs.delete("bridge_plain", "r1")
        with pytest.raises(NotFound):
            client.dag_runs.get("bridge_plain", "r1")


def test_listing_pages_past_the_server_cap(fake_airflow: FakeAirflow) -> None:
    for i in range(130):
        fake_airflow.add_run("bridge_plain", f"seed-{i:03d}", state="success")
    with connect(fake_airflow) as client:
        assert len(client.dag_runs.list("bridge_plain", page_size=1000)) == 130
        assert client.dag_runs.count("bridge_plain", states=["success"]) == 130
        with pytest.raises(NotFound):
            client.dag_runs.list("no_such_dag")


def test_wait_returns_once_the_scheduler_finished_the_run(fake_airflow: FakeAirflow) -> None:
    fake_airflow.auto = 1  # the scheduler moves runs on by itself, a step per request
    with connect(fake_airflow) as client:
        run = client.dag_runs.trigger("bridge_plain")
        done = client.dag_runs.wait("bridge_plain", run.run_id, interval=0.001, timeout=5)
    assert done.state == DagRunState.SUCCESS
    assert done.start_date is not None and done.end_date is not None


def test_upstream_events_of_a_consumer_run(fake_airflow: FakeAirflow) -> None:
    with connect(fake_airflow) as client:
        producer = client.dag_runs.trigger("bridge_producer", run_id="p1")
        fake_airflow.advance(producer.run_id, to="running")
        fake_airflow.advance(producer.run_id, to="success")
        (consumer,) = client.dag_runs.list("bridge_consumer")
        assert consumer.run_type == "asset_triggered"
        if client.server.version == "3.3.2":  # as recorded: a 500 until the consumer starts
            with pytest.raises(ServerError):
                client.dag_runs.upstream_events("bridge_consumer", consumer.run_id)
        fake_airflow.advance(consumer.run_id, to="running", dag_id="bridge_consumer")
        (event,) = client.dag_runs.upstream_events("bridge_consumer", consumer.run_id)
        assert (event.source_dag_id, event.source_run_id) == ("bridge_producer", "p1")
        assert client.dag_runs.upstream_events("bridge_producer", "p1") == []


def test_complete_all_finishes_every_active_run(fake_airflow: FakeAirflow) -> None:
    with connect(fake_airflow) as client:
        client.dag_runs.trigger("bridge_plain", run_id="a")
        client.dag_runs.trigger("bridge_producer", run_id="b")
        finished = fake_airflow.complete_all()
        states = {r.run_id: r.state for r in client.dag_runs.list()}
    assert finished[:2] == ["a", "b"]
    assert len(finished) == 3  # the producer's asset event made (and finished) a consumer run
    assert set(states.values()) == {DagRunState.SUCCESS}


def test_a_viewer_may_read_but_not_write(fake_airflow: FakeAirflow) -> None:
    with connect(fake_airflow, user="viewer") as client:
        assert client.dag_runs.list("bridge_plain") == []
        with pytest.raises(PermissionDenied):
            client.dag_runs.trigger("bridge_plain")


def test_injected_5xx_and_html_pages_are_server_errors(fake_airflow: FakeAirflow) -> None:
    fake_airflow.inject("trigger", status=503, retry_after=7)
    fake_airflow.inject("get", status=502, html=True)
    with connect(fake_airflow, retries=0) as client:  # retries: tests/unit/test_retries.py
        assert client.server.api == fake_airflow.api  # detection is not a "trigger" or "get"
        with pytest.raises(ServerError) as failed:
            client.dag_runs.trigger("bridge_plain", run_id="r1")
        assert failed.value.status == 503
        run = client.dag_runs.trigger("bridge_plain", run_id="r1")  # times=1: passes now
        with pytest.raises(ServerError, match="502"):
            client.dag_runs.get("bridge_plain", run.run_id)


def test_429_carries_retry_after(fake_airflow: FakeAirflow) -> None:
    fake_airflow.inject("list", status=429, retry_after=3)
    with connect(fake_airflow, retries=0) as client, pytest.raises(ApiError) as limited:
        client.dag_runs.list("bridge_plain")
    assert limited.value.status == 429


@pytest.mark.parametrize("drop", [True, "refuse"])
def test_dropped_connections_are_transport_errors(drop: bool | str) -> None:
    fake = FakeAirflow("3.3.2")
    fake.inject("get", drop=drop, times=None)  # every attempt the client makes
    with connect(fake) as client, pytest.raises(TransportError):
        client.dag_runs.get("bridge_plain", "any")


def test_latency_past_the_timeout_is_a_transport_error() -> None:
    fake = FakeAirflow("2.10.5")
    fake.inject("list", delay=0.05)
    with connect(fake, timeout=0.01, retries=0) as client, pytest.raises(TransportError):
        client.dag_runs.list("bridge_plain")


def test_an_expired_token_is_refreshed_after_the_clock_moves() -> None:
    fake = FakeAirflow("3.3.2", token_lifetime=3600)
    with connect(fake) as client:
        client.dag_runs.trigger("bridge_plain", run_id="r1")
        fake.clock.advance(7200)  # the client still trusts its token; the server does not
        assert client.dag_runs.get("bridge_plain", "r1").run_id == "r1"
    logins = [r for r in fake.requests if r.path == "/auth/token"]
    assert len(logins) == 2


def test_old_versions_lack_endpoints_and_the_library_knows() -> None:
    fake = FakeAirflow("2.3.4")
    fake.add_run("bridge_plain", "r1")
    with connect(fake) as client:
        with pytest.raises(UnsupportedOperation):
            client.dag_runs.clear("bridge_plain", "r1")
        with pytest.raises(UnsupportedOperation):
            client.dag_runs.set_note("bridge_plain", "r1", "note")
    http = httpx.Client(base_url=fake.base_url, transport=fake.transport(), auth=("admin", "admin"))
    assert http.post("/api/v1/dags/bridge_plain/dagRuns/r1/clear", json={}).status_code == 404
    assert http.patch("/api/v1/dags/bridge_plain/dagRuns/r1/setNote", json={}).status_code == 404


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_async_client_over_the_async_transport(fake_airflow: FakeAirflow) -> None:
    async with AsyncClient(
        fake_airflow.base_url,
        username="admin",
        password="admin",
        transport=fake_airflow.async_transport(),
    ) as client:
        run = await client.dag_runs.trigger("bridge_plain", run_id="r1")
        fake_airflow.advance(run.run_id)
        done = await client.dag_runs.wait("bridge_plain", "r1", interval=0.001, timeout=1)
        assert done.state == DagRunState.SUCCESS


@pytest.mark.parametrize("fake_airflow", ["2.8.4", "3.0.6"], indirect=True)
def test_indirect_parametrization_picks_versions(fake_airflow: FakeAirflow) -> None:
    with connect(fake_airflow) as client:
        assert client.server.version == fake_airflow.version


def test_the_loopback_server_answers_plain_http() -> None:
    fake = FakeAirflow("2.10.5")
    with fake.serve() as server:
        assert httpx.get(f"{server.url}/api/v1/version").json()["version"] == "2.10.5"
        with Client(server.url, username="admin", password="admin") as client:
            run = client.dag_runs.trigger("bridge_plain", run_id="over-tcp")
        answer = httpx.get(
            f"{server.url}/api/v1/dags/bridge_plain/dagRuns/over-tcp", auth=("admin", "admin")
        )
    assert answer.json()["dag_run_id"] == run.run_id
