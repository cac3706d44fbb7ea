"""Nothing lost (issue 11): a `list()` that fails part-way raises an error carrying the runs
it received (`error.partial`) and the iterator to finish the listing with
(`error.partial.rest`); a fleet listing keeps what a failing server sent, marked partial;
a fleet file's `[fleet] retries`. On the fake's 2.10.5 (offset pages, fetched ahead) and
3.3.2 (keyset pages)."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import httpx
import pytest
from fleet_fakes import CREDS, fake, seed

from airflow_bridge import AsyncClient, Client
from airflow_bridge.errors import FleetConfigError, ServerError
from airflow_bridge.fleet import AsyncFleet, Fleet, Server, load_fleet_file
from airflow_bridge.retries import Event, PartialRuns, RetryPolicy
from airflow_bridge.testing import FakeAirflow
from airflow_bridge.testing._transport import async_handler, sync_handler

VERSIONS = ("2.10.5", "3.3.2")
RUNS = 95
ALL = [f"pr-{n:03d}" for n in range(RUNS)]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def seeded(version: str) -> FakeAirflow:
    airflow = FakeAirflow(version)
    for run_id in ALL:
        airflow.add_run("bridge_plain", run_id)
    return airflow


def fail_after_pages(airflow: FakeAirflow, pages: int) -> Any:
    """An `on_event` hook that makes every list request after the `pages`-th answer 500
    (not retried), so the listing fails part-way."""
    seen = [0]

    def hook(event: Event) -> None:
        if event.kind == "request" and event.operation == "list":
            seen[0] += 1
            if seen[0] == pages:
                airflow.inject("list", status=500, times=None)

    return hook


def client_for(airflow: FakeAirflow, **options: Any) -> Client:
    return Client(
        airflow.base_url,
        username="admin",
        password="admin",
        transport=airflow.transport(),
        **options,
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_a_list_failing_part_way_carries_what_it_received_and_resumes(version: str) -> None:
    airflow = seeded(version)
    with client_for(airflow, on_event=fail_after_pages(airflow, 2)) as client:
        with pytest.raises(ServerError) as raised:
            client.dag_runs.list("bridge_plain", page_size=10)
        partial = raised.value.partial  # type: ignore[attr-defined]
        assert isinstance(partial, PartialRuns)
        assert 0 < len(partial) < RUNS
        airflow.clear_faults()
        rest = list(partial.rest)
    got = [run.run_id for run in [*partial, *rest]]
    assert sorted(got) == ALL  # every run, none twice
    assert len(got) == RUNS


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.anyio
async def test_an_async_list_failing_part_way_carries_what_it_received(version: str) -> None:
    airflow = seeded(version)
    async with AsyncClient(
        airflow.base_url,
        username="admin",
        password="admin",
        transport=airflow.async_transport(),
        on_event=fail_after_pages(airflow, 2),
    ) as client:
        with pytest.raises(ServerError) as raised:
            await client.dag_runs.list("bridge_plain", page_size=10)
        partial = raised.value.partial  # type: ignore[attr-defined]
        assert 0 < len(partial) < RUNS
        airflow.clear_faults()
        rest = [run async for run in partial.rest]
    assert sorted(run.run_id for run in [*partial, *rest]) == ALL


def test_a_failing_first_page_carries_an_empty_partial() -> None:
    airflow = seeded("3.3.2")
    airflow.inject("list", status=500)
    with client_for(airflow) as client:
        with pytest.raises(ServerError) as raised:
            client.dag_runs.list("bridge_plain")
        partial = raised.value.partial  # type: ignore[attr-defined]
        assert partial == []
        assert sorted(run.run_id for run in partial.rest) == ALL


def test_the_error_still_pickles_with_its_runs() -> None:
    airflow = seeded("2.10.5")
    failing = client_for(airflow, on_event=fail_after_pages(airflow, 1))
    with failing as client, pytest.raises(ServerError) as raised:
        client.dag_runs.list("bridge_plain", page_size=10)
    copy = pickle.loads(pickle.dumps(raised.value))
    assert copy == raised.value
    assert type(copy.partial) is list  # the runs, without the client's iterator
    assert copy.partial == list(raised.value.partial)  # type: ignore[attr-defined]


# -- fleet -------------------------------------------------------------------------------


def failing_after(airflow: FakeAirflow, pages: int, *, sync: bool) -> httpx.MockTransport:
    """The fake's transport, except that its run listings after the first `pages` answer
    500 (the fake's own error, injected just before each)."""
    handle_sync, handle_async = sync_handler(airflow), async_handler(airflow)
    seen = [0]

    def arm(request: httpx.Request) -> None:
        if request.method == "GET" and request.url.path.endswith("/dagRuns"):
            seen[0] += 1
            if seen[0] > pages:
                airflow.inject("list", status=500)

    def respond(request: httpx.Request) -> httpx.Response:
        arm(request)
        return handle_sync(request)

    async def respond_async(request: httpx.Request) -> httpx.Response:
        arm(request)
        return await handle_async(request)

    return httpx.MockTransport(respond if sync else respond_async)


def fleet_pair() -> tuple[FakeAirflow, FakeAirflow]:
    """A healthy 2.10.5 with one run of etl, and a 3.3.2 (keyset pages, one at a time) with
    25 whose third page of 10 fails."""
    healthy, failing = fake("2.10.5"), fake("3.3.2")
    seed(healthy, "good-1")
    for n in range(25):
        seed(failing, f"bad-{n:02d}")
    return healthy, failing


def fleet_members(healthy: FakeAirflow, failing: FakeAirflow) -> dict[str, Server]:
    bad = failing_after(failing, 2, sync=False)
    return {
        "good": Server(healthy.base_url, **CREDS, transport=healthy.async_transport()),
        "bad": Server(failing.base_url, **CREDS, transport=bad),
    }


@pytest.mark.anyio
async def test_a_fleet_list_keeps_a_failing_servers_partial_runs() -> None:
    healthy, failing = fleet_pair()
    async with AsyncFleet(fleet_members(healthy, failing), retries=0) as fleet:
        result = await fleet.dag_runs.list("etl", page_size=10)
    assert result.partial == ("bad",)
    bad = result.outcomes["bad"]
    assert isinstance(bad.error, ServerError)
    assert bad.partial and bad.count == len(result.per_server["bad"]) == 20
    assert not result.outcomes["good"].partial and result.outcomes["good"].ok
    assert sorted(run.run_id for run in result) == [f"bad-{n:02d}" for n in range(20)] + ["good-1"]


def test_a_sync_fleet_list_of_sync_clients_keeps_partial_runs() -> None:
    healthy, failing = fleet_pair()
    members = {
        "good": Client(healthy.base_url, **CREDS, transport=healthy.transport(), retries=0),
        "bad": Client(
            failing.base_url, **CREDS, transport=failing_after(failing, 2, sync=True), retries=0
        ),
    }
    with Fleet(members) as fleet:
        result = fleet.dag_runs.list("etl", page_size=10)
    assert result.partial == ("bad",)
    assert len(result.per_server["bad"]) == result.outcomes["bad"].count == 20


@pytest.mark.anyio
async def test_a_fleet_stream_marks_a_server_that_failed_after_some_pages() -> None:
    healthy, failing = fleet_pair()
    async with AsyncFleet(fleet_members(healthy, failing), retries=0) as fleet:
        stream = fleet.dag_runs.iter("etl", page_size=10)
        got = [run.run_id async for run in stream]
    assert len(got) == 21  # good-1 and the failing server's first two pages
    assert stream.outcomes["bad"].partial and stream.outcomes["bad"].count == 20
    assert not stream.outcomes["good"].partial


def test_a_fleet_where_nothing_came_is_not_partial() -> None:
    healthy, failing = fleet_pair()
    failing.inject("list", status=500, times=None)
    with Fleet(
        {
            "good": Client(healthy.base_url, **CREDS, transport=healthy.transport()),
            "bad": Client(failing.base_url, **CREDS, transport=failing.transport(), retries=0),
        }
    ) as fleet:
        result = fleet.dag_runs.list("etl")
    assert result.partial == ()
    assert "bad" in result.errors and "bad" not in result.per_server


# -- [fleet] retries -----------------------------------------------------------------------


def fleet_file(tmp_path: Path, retries: str, url: str = "http://127.0.0.1:1") -> Path:
    path = tmp_path / "fleet.toml"
    path.write_text(
        f'[fleet]\nretries = {retries}\n\n[servers.a]\nurl = "{url}"\n'
        'username = "admin"\npassword_env = "PW"\n'
    )
    return path


def test_fleet_file_retries_is_a_number_or_a_policy(tmp_path: Path) -> None:
    env = {"PW": "admin"}
    assert load_fleet_file(fleet_file(tmp_path, "2"), env).settings["retries"] == 2
    assert load_fleet_file(fleet_file(tmp_path, "0"), env).settings["retries"] == 0
    table = "{ attempts = 5, deadline = 10, backoff = 0.1 }"
    policy = load_fleet_file(fleet_file(tmp_path, table), env).settings["retries"]
    assert policy == RetryPolicy(attempts=5, deadline=10, backoff=0.1)
    for bad, said in [
        ("-1", "number of retries >= 0"),
        ("true", "number of retries >= 0"),
        ('"3"', "number of retries >= 0"),
        ("{ tries = 3 }", "unknown 'tries'"),
        ("{ attempts = 0 }", "attempts must be > 0"),
    ]:
        with pytest.raises(FleetConfigError, match="key 'retries'") as raised:
            load_fleet_file(fleet_file(tmp_path, bad), env)
        assert said in str(raised.value)


def test_fleet_file_retries_reach_the_clients(tmp_path: Path) -> None:
    """A 503 once: the fleet file's `retries = 0` reports it, `retries = 1` gets past it."""
    env = {"PW": "admin"}
    airflow = FakeAirflow("3.3.2")
    with airflow.serve() as server:
        for retries, ok in (("0", False), ("{ attempts = 2, backoff = 0 }", True)):
            airflow.inject("list", status=503)
            with Fleet.from_file(fleet_file(tmp_path, retries, server.url), env=env) as fleet:
                result = fleet.dag_runs.list("bridge_plain")
            assert result.ok is ok, result.errors
