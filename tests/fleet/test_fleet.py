"""Fleet fan-out over fake Airflow servers of both generations, healthy and not."""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from typing import Any

import anyio
import attrs
import pytest
from fleet_fakes import CREDS, V1_RUNS, V2_RUNS, broken, day, fake, seed, sent

from airflow_bridge import (
    AsyncClient,
    AsyncDagRuns,
    AsyncDags,
    AsyncTaskInstances,
    Client,
    DagRuns,
    DagRunState,
    Dags,
    TaskInstances,
)
from airflow_bridge.errors import (
    NotFound,
    ServerError,
    TransportError,
    UnsupportedOperation,
)
from airflow_bridge.fleet import (
    AsyncFleet,
    AsyncFleetDagRuns,
    AsyncFleetDags,
    AsyncFleetTaskInstances,
    Fleet,
    FleetConfigError,
    FleetDagRuns,
    FleetDags,
    FleetError,
    FleetTaskInstances,
    Server,
    ServerOutcome,
    ServerTimeout,
)
from airflow_bridge.fleet._members import _InThreads
from airflow_bridge.testing import FakeAirflow


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def mixed_fleet(**kw: Any) -> tuple[AsyncFleet, dict[str, FakeAirflow]]:
    """Two healthy servers (Airflow 3 and 2), one hanging, one answering 500, one old 2.3.4."""
    servers = {
        "af3": fake("3.3.2", V2_RUNS),
        "af2": fake("2.10.5", V1_RUNS),
        "hanging": fake("3.3.2", V2_RUNS),
        "broken": broken("3.3.2"),
        "old": fake("2.3.4", [("old-1", "running", 4)]),
    }
    servers["hanging"].inject("*", delay=30, times=None)
    members = {
        name: Server(
            f"http://{name}:8080",
            **CREDS,
            timeout=0.5 if name == "hanging" else None,
            transport=server.async_transport(),
            tags=("eu",) if name in ("af3", "old") else ("us",),
        )
        for name, server in servers.items()
    }
    return AsyncFleet(members, **kw), servers


# -- reads ----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_healthy_results_are_merged_ordered_and_failures_typed() -> None:
    fleet, servers = mixed_fleet()
    async with fleet:
        result = await fleet.dag_runs.list(order_by="-start_date")
    assert [(r.server, r.run_id) for r in result] == [
        ("af2", "v1-newest"),
        ("af3", "v2-new"),
        ("old", "old-1"),
        ("af2", "v1-mid"),
        ("af3", "v2-old"),
        ("af3", "v2-queued"),  # no start date: last
    ]
    assert result.items[0].start_date == day(6)
    assert {r.api for r in result} == {"v1", "v2"}
    assert not result.ok
    assert isinstance(result.errors["hanging"], ServerTimeout)
    assert isinstance(result.errors["broken"], ServerError)
    assert result.errors["broken"].status == 500
    assert set(result.errors) == {"hanging", "broken"}
    assert [o.server for o in result.outcomes.values()] == list(servers)
    assert result.outcomes["af3"].count == 3 and result.outcomes["af3"].ok
    assert result.outcomes["hanging"].elapsed < 2
    # each server sorted its own page the same way (so a limit per server is exact)
    assert sent(servers["af3"], "GET")[-1].values("order_by") == ["-start_date"]


@pytest.mark.anyio
async def test_limit_applies_after_merging_and_is_sent_to_every_server() -> None:
    fleet, servers = mixed_fleet()
    async with fleet:
        result = await fleet.select("af2", "af3").dag_runs.list(limit=3, order_by="-start_date")
    assert [r.run_id for r in result] == ["v1-newest", "v2-new", "v1-mid"]
    assert result.per_server["af3"][0].run_id == "v2-new" and len(result.per_server["af3"]) == 3
    assert sent(servers["af2"], "GET")[-1].last("limit") == "3"
    assert result.ok


@pytest.mark.anyio
async def test_ascending_order_puts_missing_dates_last_too() -> None:
    fleet, _ = mixed_fleet()
    async with fleet:
        result = await fleet.select("af2", "af3").dag_runs.list(order_by="start_date")
    ids = [r.run_id for r in result]
    assert (ids[0], ids[-1]) == ("v2-old", "v2-queued")


@pytest.mark.anyio
async def test_without_order_runs_come_server_by_server_in_fleet_order() -> None:
    fleet, _ = mixed_fleet()
    async with fleet:
        result = await fleet.select("af3", "af2").dag_runs.list()
    assert [r.server for r in result] == ["af3"] * 3 + ["af2"] * 2


@pytest.mark.anyio
async def test_filters_are_the_facades_and_reach_every_server() -> None:
    fleet, servers = mixed_fleet()
    async with fleet:
        result = await fleet.select("af2", "af3").dag_runs.list(
            states=[DagRunState.FAILED], start_date_gte=day(2)
        )
    assert sorted(r.run_id for r in result) == ["v1-mid", "v2-new"]
    assert sent(servers["af3"], "GET")[-1].values("state") == ["failed"]


def test_ordering_by_a_per_server_value_is_refused_before_anything_is_sent() -> None:
    server = fake("3.3.2", V2_RUNS)
    fleet = Fleet({"a": Client("http://a:8080", **CREDS, transport=server.transport())})
    with fleet, pytest.raises(ValueError, match="across servers"):
        fleet.dag_runs.list(order_by="-id")
    assert server.requests == []


@pytest.mark.anyio
async def test_old_server_refuses_before_sending_and_the_others_still_answer() -> None:
    fleet, servers = mixed_fleet()
    for name in ("af3", "af2", "old"):
        seed(servers[name], "r1", state="running", start=2)
    async with fleet:
        eu_and_af2 = fleet.select("tag:eu", "af2")
        noted = await eu_and_af2.dag_runs.set_note("etl", "r1", "checked")
        cleared = await fleet.select("old").dag_runs.clear("etl", "r1")
    assert [(r.server, r.note) for r in noted] == [("af3", "checked"), ("af2", "checked")]
    refused = noted.errors["old"]
    assert isinstance(refused, UnsupportedOperation)
    assert (refused.operation, refused.server_version, refused.added_in) == (
        "set_note",
        "2.3.4",
        "2.5.0",
    )
    assert isinstance(cleared.errors["old"], UnsupportedOperation)
    assert sent(servers["old"], "PATCH") == [] and sent(servers["old"], "POST") == []


@pytest.mark.anyio
async def test_count_get_and_trigger_carry_each_server_name() -> None:
    fleet, servers = mixed_fleet()
    async with fleet:
        pair = fleet.select("af2", "af3")
        counts = await pair.dag_runs.count()
        seed(servers["af3"], "r1")
        got = await pair.dag_runs.get("etl", "r1")
        triggered = await pair.dag_runs.trigger("etl", conf={"x": 1})
    assert sum(counts) == 5 and counts.per_server == {"af3": (3,), "af2": (2,)}
    assert [r.server for r in got] == ["af3"]
    assert isinstance(got.errors["af2"], NotFound)
    assert [(r.server, r.conf) for r in triggered] == [("af3", {"x": 1}), ("af2", {"x": 1})]
    body = json.loads(sent(servers["af2"], "POST")[0].body)
    assert body.pop("dag_run_id").startswith("manual__")  # client-made: safe to resend
    assert body == {"conf": {"x": 1}}
    for run in triggered:  # the run is on the server it names, with that conf
        assert servers[run.server].store.run("etl", run.run_id).conf == {"x": 1}


@pytest.mark.anyio
async def test_raise_for_errors_names_every_failed_server() -> None:
    fleet, _ = mixed_fleet()
    async with fleet:
        result = await fleet.dag_runs.list()
        healthy = await fleet.select("af3").dag_runs.list()
    with pytest.raises(FleetError) as caught:
        result.raise_for_errors()
    assert set(caught.value.errors) == {"hanging", "broken"}
    assert "2 of 5 servers failed" in str(caught.value)
    assert healthy.raise_for_errors() is healthy


@pytest.mark.anyio
async def test_iter_streams_pages_and_keeps_every_outcome() -> None:
    fleet, _ = mixed_fleet()
    async with fleet:
        stream = fleet.dag_runs.iter(page_size=2)
        runs = [run async for run in stream]
    assert sorted(r.run_id for r in runs) == sorted(
        ["v2-new", "v2-queued", "v2-old", "v1-mid", "v1-newest", "old-1"]
    )
    assert set(stream.outcomes) == {"af3", "af2", "hanging", "broken", "old"}
    assert set(stream.errors) == {"hanging", "broken"}
    assert stream.outcomes["af3"].count == 3


@pytest.mark.anyio
async def test_listed_runs_are_the_members_own_runs_labelled_with_its_name() -> None:
    """`list()` and `iter()` label runs in place (no copy): each must still equal, hash and
    print as the member client's own run with only `server` changed."""
    server = fake("3.3.2", V2_RUNS)
    client = AsyncClient("http://af3:8080", **CREDS, transport=server.async_transport())
    own = await client.dag_runs.list()
    async with AsyncFleet({"af3": client}) as fleet:
        listed = await fleet.dag_runs.list()
        streamed = [run async for run in fleet.dag_runs.iter(page_size=2)]
    expected = [attrs.evolve(run, server="af3") for run in own]
    for runs in (list(listed), streamed):
        assert runs == expected
        assert [(hash(r), repr(r)) for r in runs] == [(hash(r), repr(r)) for r in expected]
    assert {run.server for run in own} == {"http://af3:8080"}  # the client's own untouched


@pytest.mark.anyio
async def test_iter_checks_filters_at_once() -> None:
    fleet, servers = mixed_fleet()
    async with fleet:
        with pytest.raises(TypeError, match="unknown filter"):
            fleet.dag_runs.iter(colour="red")  # type: ignore[call-arg]
    assert all(sent(server) == [] for server in servers.values())


# -- concurrency ------------------------------------------------------------------------------


def slow_members(count: int, delay: float) -> dict[str, Server]:
    """`count` Airflow 3 servers whose listing answers after `delay` seconds."""
    members = {}
    for i in range(count):
        server = fake("3.3.2")
        server.inject("list", delay=delay, times=None)
        members[f"s{i}"] = Server(
            f"http://s{i}:8080", api="v2", **CREDS, transport=server.async_transport()
        )
    return members


@pytest.mark.anyio
async def test_servers_are_queried_at_once() -> None:
    async with AsyncFleet(slow_members(20, 0.2)) as fleet:
        started = time.perf_counter()
        result = await fleet.dag_runs.list()
        elapsed = time.perf_counter() - started
    assert result.ok and len(result.outcomes) == 20
    assert elapsed < 0.2 * 3  # one round trip, not twenty


@pytest.mark.anyio
async def test_overall_concurrency_bound_is_respected() -> None:
    async with AsyncFleet(slow_members(4, 0.1), max_concurrency=1) as fleet:
        started = time.perf_counter()
        await fleet.dag_runs.list()
        assert time.perf_counter() - started >= 0.4


@pytest.mark.anyio
async def test_per_server_concurrency_bound_is_respected() -> None:
    async with AsyncFleet(slow_members(1, 0.1), per_server_concurrency=1) as fleet:
        started = time.perf_counter()
        await asyncio.gather(*(fleet.dag_runs.list() for _ in range(3)))
        assert time.perf_counter() - started >= 0.3


@pytest.mark.anyio
async def test_version_detection_of_all_servers_is_concurrent_on_first_use() -> None:
    members = {}
    for i in range(10):
        server = fake("2.10.5")
        server.inject("*", delay=0.2, times=None)
        members[f"s{i}"] = Server(f"http://s{i}:8080", **CREDS, transport=server.async_transport())
    async with AsyncFleet(members) as fleet:
        started = time.perf_counter()
        infos = await fleet.server_info()
        elapsed = time.perf_counter() - started
    # each server: v2 probe (404) then v1 probe, 0.2 s each; all servers side by side
    assert {i.version for i in infos} == {"2.10.5"}
    assert elapsed < 0.4 * 2


def test_progress_callback_sees_every_server() -> None:
    seen: list[ServerOutcome] = []
    members = {
        n: Server(f"http://{n}:1", api="v2", **CREDS, transport=fake().async_transport())
        for n in "abc"
    }
    with Fleet(members) as fleet:
        fleet.with_progress(seen.append).dag_runs.count()
    assert sorted(o.server for o in seen) == ["a", "b", "c"]


# -- sync fleet, members of every kind ----------------------------------------------------------


def test_sync_fleet_of_sync_clients_from_plain_code() -> None:
    af3, af2 = fake("3.3.2", V2_RUNS), fake("2.10.5", V1_RUNS)
    members = {
        "af3": Client("http://af3:8080", **CREDS, transport=af3.transport()),
        "af2": Client("http://af2:8080", **CREDS, transport=af2.transport()),
    }
    with Fleet(members, tags={"af2": ["legacy"]}) as fleet:
        result = fleet.dag_runs.list(order_by="-start_date", limit=2)
        assert [r.run_id for r in result] == ["v1-newest", "v2-new"]
        assert fleet.select("tag:legacy").names == ("af2",)
        assert [r.run_id for r in fleet.dag_runs.iter(limit=4, page_size=2)] == [
            "v2-new",
            "v2-queued",
            "v1-mid",
            "v1-newest",
        ]
        again = fleet.dag_runs.list(states=DagRunState.FAILED)  # the loop thread is reused
        assert again.ok and sorted(r.run_id for r in again) == ["v1-mid", "v2-new"]


@pytest.mark.anyio
async def test_sync_fleet_works_when_called_from_inside_a_running_loop() -> None:
    server = fake("3.3.2", V2_RUNS)
    client = AsyncClient("http://a:8080", **CREDS, transport=server.async_transport())
    with Fleet({"a": client}) as fleet:
        assert len(fleet.dag_runs.list()) == 3  # no "asyncio.run() cannot be called" error


def test_closed_fleet_says_so() -> None:
    fleet = Fleet(
        {"a": Server("http://a:1", api="v2", **CREDS, transport=fake().async_transport())}
    )
    fleet.close()
    with pytest.raises(RuntimeError, match="closed"):
        fleet.dag_runs.count()


def test_a_sync_fleet_cannot_be_called_from_its_own_progress_callback() -> None:
    members = {"a": Server("http://a:1", **CREDS, transport=fake().async_transport())}
    with Fleet(members) as fleet:

        def call_again(outcome: ServerOutcome) -> None:
            fleet.dag_runs.count()  # would wait on the thread it runs on: refused

        with pytest.raises(RuntimeError, match="its own progress callback"):
            fleet.with_progress(call_again).dag_runs.count()
        assert fleet.dag_runs.count().ok  # the fleet still works


@pytest.mark.anyio
async def test_closed_async_fleet_says_so() -> None:
    fleet = AsyncFleet({"a": Server("http://a:1", **CREDS, transport=fake().async_transport())})
    await fleet.aclose()
    await fleet.aclose()  # twice is fine
    with pytest.raises(RuntimeError, match="closed"):
        await fleet.dag_runs.count()


def test_selection_errors_name_what_exists() -> None:
    fleet, _ = mixed_fleet()
    with pytest.raises(FleetConfigError, match=r"no server named 'nope' \(servers: af3, af2"):
        fleet.select("nope")
    with pytest.raises(FleetConfigError, match=r"no server is tagged 'asia' \(tags: eu, us\)"):
        fleet.select("tag:asia")
    assert fleet.select("tag:eu", "broken").names == ("af3", "broken", "old")


# -- probe ---------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_probe_reports_version_api_health_auth_and_latency() -> None:
    fleet, servers = mixed_fleet()
    servers["af2"].inject("list", status=401, times=None)
    async with fleet:
        result = await fleet.select("af3", "af2", "broken").probe()
    by_name = {s.server: s for s in result}
    assert (by_name["af3"].version, by_name["af3"].api, by_name["af3"].auth_ok) == (
        "3.3.2",
        "v2",
        True,
    )
    assert by_name["af3"].healthy is True and by_name["af3"].latency >= 0
    assert by_name["af3"].health is not None and by_name["af3"].health["scheduler"] == "healthy"
    assert by_name["af2"].api == "v1" and by_name["af2"].auth_ok is False
    assert by_name["af2"].health is not None and "metadatabase" in by_name["af2"].health
    assert isinstance(result.errors["broken"], ServerError)
    # each generation's own health endpoint was asked
    assert any(r.path == "/api/v2/monitor/health" for r in servers["af3"].requests)
    assert any(r.path == "/api/v1/health" for r in servers["af2"].requests)


@pytest.mark.anyio
async def test_probe_of_a_wrong_password_says_auth_failed() -> None:
    server = fake("3.3.2", password="other")
    async with AsyncFleet(
        {"a": Server("http://a:1", **CREDS, transport=server.async_transport())}
    ) as fleet:
        result = await fleet.probe()
    assert result.ok and result.items[0].auth_ok is False


# -- secrets -------------------------------------------------------------------------------------


def test_server_repr_hides_secrets() -> None:
    text = repr(Server("https://bob:pw-in-url@af:8080", token="tok-123", tags=["eu"]))
    assert "pw-in-url" not in text and "tok-123" not in text
    assert "token=<hidden>" in text and "https://af:8080" in text


@pytest.mark.anyio
async def test_errors_never_carry_credentials() -> None:
    server = broken("3.3.2")
    fleet = AsyncFleet(
        {"a": Server("http://admin:s3cret-pw@a:8080", transport=server.async_transport())}
    )
    async with fleet:
        result = await fleet.dag_runs.list()
    assert isinstance(result.errors["a"], ServerError)  # logged in with the URL's credentials
    assert "s3cret-pw" not in str(result.errors["a"])
    assert fleet.urls == {"a": "http://a:8080"}


def test_members_must_be_clients_or_servers() -> None:
    with pytest.raises(TypeError, match="expected a Server"):
        AsyncFleet({"a": "http://a:8080"})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="at least one"):
        AsyncFleet({})


def test_transport_error_is_a_per_server_outcome() -> None:
    down, up = fake(), fake("3.3.2", V2_RUNS)
    down.inject("*", drop="refuse", times=None)
    members = {
        "down": Server("http://down:1", api="v2", **CREDS, transport=down.async_transport()),
        "up": Server("http://up:1", api="v2", **CREDS, transport=up.async_transport()),
    }
    with Fleet(members) as fleet:
        result = fleet.dag_runs.list()
    assert len(result) == 3 and "refused" in str(result.errors["down"])
    assert isinstance(result.errors["down"], TransportError)


def test_wait_gets_the_wait_timeout_added_to_the_deadline() -> None:
    server = fake("3.3.2", [("r1", "success", 2)])
    server.inject("*", delay=0.2, times=None)
    # a client of its own: a Server's timeout would also be its HTTP timeout (ReadTimeout)
    client = AsyncClient("http://a:1", **CREDS, transport=server.async_transport(), timeout=10)
    with Fleet({"a": client}, timeout=0.1) as fleet:
        listed = fleet.dag_runs.list()
        result = fleet.dag_runs.wait("etl", "r1", timeout=5, interval=0.1)
    assert isinstance(listed.errors["a"], ServerTimeout)  # the deadline alone is too short
    assert result.ok and result.items[0].state is DagRunState.SUCCESS
    assert result.items[0].end_date == day(2)


def test_a_hanging_sync_client_member_times_out_without_holding_the_fleet() -> None:
    stuck, fine = fake(), fake("3.3.2", V2_RUNS)
    stuck.inject("list", delay=1.5)
    members = {
        "stuck": Client("http://stuck:1", api="v2", **CREDS, transport=stuck.transport()),
        "fine": Client("http://fine:1", api="v2", **CREDS, transport=fine.transport()),
    }
    with Fleet(members, timeout=0.3) as fleet:
        started = time.perf_counter()
        result = fleet.dag_runs.list()
        elapsed = time.perf_counter() - started
    assert elapsed < 1.0
    assert isinstance(result.errors["stuck"], ServerTimeout) and len(result) == 3


# -- one interface: the fleet's operations are the facade's ------------------------------------


def operations(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(cls).items()
        if callable(member) and not name.startswith("_")
    }


def parameters(signature: inspect.Signature) -> list[tuple[str, Any, Any, str]]:
    """Name, kind, default and annotation (module prefixes dropped) of each parameter."""
    return [
        (p.name, p.kind, p.default, str(p.annotation).replace("plans.", ""))
        for p in signature.parameters.values()
    ]


@pytest.mark.parametrize(
    ("fleet_runs", "client_runs"),
    [(FleetDagRuns, DagRuns), (AsyncFleetDagRuns, AsyncDagRuns)],
)
def test_fleet_operations_are_the_facades_operations(fleet_runs: type, client_runs: type) -> None:
    """Same operations, same parameters (names, kinds, defaults, types): only the return
    type differs (a FleetResult), so the fleet cannot drift from `dag_runs`."""
    fleet_ops, client_ops = operations(fleet_runs), operations(client_runs)
    assert sorted(fleet_ops) == sorted(client_ops)
    for name, signature in fleet_ops.items():
        assert parameters(signature) == parameters(client_ops[name]), name
        returned = str(signature.return_annotation)
        assert returned.startswith(("FleetResult[", "RunStream", "AsyncRunStream")), name


#: The facade's streams that the runbook views leave out (a FleetResult holds whole answers).
STREAMS = {"iter", "iter_logs"}


@pytest.mark.parametrize(
    ("fleet_view", "facade"),
    [
        (FleetDags, Dags),
        (AsyncFleetDags, AsyncDags),
        (FleetTaskInstances, TaskInstances),
        (AsyncFleetTaskInstances, AsyncTaskInstances),
    ],
)
def test_fleet_runbook_views_take_the_facades_parameters(fleet_view: type, facade: type) -> None:
    """`fleet.dags` and `fleet.task_instances`: every facade operation but the streams,
    with the same parameters, each returning a FleetResult."""
    fleet_ops, client_ops = operations(fleet_view), operations(facade)
    assert sorted(fleet_ops) == sorted(set(client_ops) - STREAMS)
    for name, signature in fleet_ops.items():
        assert parameters(signature) == parameters(client_ops[name]), name
        assert str(signature.return_annotation).startswith("FleetResult["), name


def test_the_runbook_across_a_fleet_of_both_generations_and_a_sync_member() -> None:
    """dags and task_instances fan out like dag_runs: every member (async 3.3.2, async
    2.10.5, a sync 2.10.4 client in threads), labelled by name, each server's refusal its
    own outcome."""
    servers = {v: fake(v, assets=True) for v in ("3.3.2", "2.10.5", "2.10.4")}
    for airflow in servers.values():
        airflow.auto = 1
    members: dict[str, Any] = {
        "af3": Server("http://af3:8080", **CREDS, transport=servers["3.3.2"].async_transport()),
        "af2": Server("http://af2:8080", **CREDS, transport=servers["2.10.5"].async_transport()),
        "sync2": Client("http://s2:8080", **CREDS, transport=servers["2.10.4"].transport()),
    }
    with Fleet(members) as fleet:
        paused = fleet.dags.list(paused=True, tags=["bridge"])
        assert {(d.server, d.dag_id) for d in paused} == {
            (name, "bridge_failing") for name in members
        }
        unpaused = fleet.dags.unpause("bridge_failing")
        assert not unpaused.errors and all(not d.is_paused for d in unpaused)
        assert [d.server for d in fleet.dags.get("bridge_failing")] == list(members)
        fleet.dag_runs.trigger("bridge_failing", run_id="fleet-rb")
        finished = fleet.dag_runs.wait("bridge_failing", "fleet-rb", interval=0.01)
        assert {r.state for r in finished} == {"failed"}
        failed = fleet.task_instances.failed("bridge_failing", "fleet-rb")
        assert {(ti.server, ti.task_id) for ti in failed} == {(n, "explode") for n in members}
        states = fleet.task_instances.list("bridge_failing", "fleet-rb", states=["success"])
        assert {ti.task_id for ti in states} == {"setup"}
        (one,) = fleet.select("af2").task_instances.get("bridge_failing", "fleet-rb", "explode")
        assert (one.server, one.state, one.try_number) == ("af2", "failed", 1)
        logs = fleet.task_instances.logs("bridge_failing", "fleet-rb", "explode")
        assert set(logs.per_server) == set(members)
        for records in logs.per_server.values():
            assert any("planned failure" in r.message for r in records)
        dry = fleet.task_instances.clear("bridge_failing", "fleet-rb", only_failed=True)
        assert {
            (name, ti.task_id) for name, (c,) in dry.per_server.items() for ti in c.task_instances
        } == {(n, t) for n in members for t in ("explode", "after")}
        assert {s.state("fleet-rb") for s in servers.values()} == {"failed"}  # a dry run
        cleared = fleet.task_instances.clear(
            "bridge_failing", "fleet-rb", task_ids=["explode"], dry_run=False
        )
        assert not cleared.errors and set(cleared.per_server) == set(members)
        assert {ti.task_id for c in cleared for ti in c.task_instances} == {"explode"}
        assert {s.state("fleet-rb") for s in servers.values()} == {"queued"}
        missing = fleet.task_instances.list("bridge_failing", "no-such-run")
        # NotFound from every member: Airflow 2 lists a run it lacks as empty
        # (fixtures/2.10.5/ti_list_unknown_run.json), and the facade then asks for the run
        assert set(missing.errors) == set(members) and not missing.per_server
        assert all(isinstance(error, NotFound) for error in missing.errors.values())
        fleet.dags.pause("bridge_failing")
        assert {d.server for d in fleet.dags.list(paused=True)} == set(members)


def test_a_sync_client_member_refuses_unknown_operations_and_iter() -> None:
    """The threaded interface is `DagRuns` itself: a name it lacks is an AttributeError."""
    client = Client("http://a:1", **CREDS, transport=fake().transport())
    runs = _InThreads(client.dag_runs, anyio.CapacityLimiter(1))
    with pytest.raises(AttributeError):
        runs.frobnicate  # noqa: B018
    with pytest.raises(AttributeError, match="paged"):
        runs.iter  # noqa: B018
