"""The fake's runbook (issue 16) through the library: paused DAGs, task instances moving with
the scheduler, logs per try, clearTaskInstances. Each behaviour here was seen on the live
2.10.5 and 3.3.2 servers (fixtures/<version>/dag_*, ti_*, clear_ti_*); the contract test
checks the shapes, these check what happens over time.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from airflow_bridge import AsyncClient, Client
from airflow_bridge.errors import InvalidArgument, NotFound, RunFailed
from airflow_bridge.fleet import Fleet
from airflow_bridge.testing import FakeAirflow

VERSIONS = ("2.10.5", "3.3.2")
FAILURE = "bridge_failing: planned failure for the runbook tests"


def client_for(fake: FakeAirflow) -> Client:
    return Client(
        fake.base_url, username="admin", password="admin", transport=fake.transport(), retries=0
    )


def failed_run(fake: FakeAirflow, client: Client, run_id: str) -> None:
    """Unpause bridge_failing, trigger it and let the scheduler fail the run."""
    client.dags.unpause("bridge_failing")
    client.dag_runs.trigger("bridge_failing", run_id=run_id)
    fake.advance(run_id, "failed")


def runbook(version: str) -> list[Any]:
    """The operator's loop on one fake; the normalized results, to compare generations."""
    fake = FakeAirflow(version)
    seen: list[Any] = []
    with client_for(fake) as client:
        seen.append(client.dags.get("bridge_failing").is_paused)
        failed_run(fake, client, "rb-1")
        seen.append(fake.state("rb-1"))
        tis = client.task_instances.list("bridge_failing", "rb-1")
        seen.append([(t.task_id, t.state, t.try_number) for t in tis])
        seen.append([t.task_id for t in client.task_instances.failed("bridge_failing", "rb-1")])
        log = client.task_instances.logs("bridge_failing", "rb-1", "explode")
        seen.append(any(FAILURE in r.message and r.level == "error" for r in log))
        seen.append(client.task_instances.logs("bridge_failing", "rb-1", "after"))  # never ran
        dry = client.task_instances.clear("bridge_failing", "rb-1", only_failed=True)
        seen.append(sorted(t.task_id for t in dry.task_instances))
        seen.append(fake.state("rb-1"))  # a dry run changes nothing
        client.task_instances.clear("bridge_failing", "rb-1", only_failed=True, dry_run=False)
        seen.append(fake.state("rb-1"))  # re-queued
        seen.append(client.task_instances.get("bridge_failing", "rb-1", "setup").state)
        fake.advance("rb-1", "failed")
        tis = client.task_instances.list("bridge_failing", "rb-1")
        seen.append([(t.task_id, t.state, t.try_number) for t in tis])
        for number in (1, 2):
            log = client.task_instances.logs("bridge_failing", "rb-1", "explode", try_number=number)
            seen.append(any(f"attempt={number}.log" in r.message for r in log))
    return seen


def test_the_runbook_moves_alike_on_both_generations() -> None:
    v1, v2 = runbook("2.10.5"), runbook("3.3.2")
    assert v1 == v2
    assert v1 == [
        True,  # bridge_failing is paused at creation (dags/)
        "failed",
        [("setup", "success", 1), ("explode", "failed", 1), ("after", "upstream_failed", 0)],
        ["explode"],
        True,
        [],
        ["after", "explode"],  # only_failed also takes upstream_failed (live)
        "failed",
        "queued",
        "success",  # not cleared: it does not run again
        [("setup", "success", 1), ("explode", "failed", 2), ("after", "upstream_failed", 0)],
        True,
        True,
    ]


@pytest.mark.parametrize("version", VERSIONS)
def test_a_paused_dag_takes_runs_but_never_starts_them(version: str) -> None:
    fake = FakeAirflow(version, auto=1)
    with client_for(fake) as client:
        run = client.dag_runs.trigger("bridge_failing", run_id="held")
        for _ in range(5):
            assert client.dag_runs.get("bridge_failing", "held").state == "queued"
        assert fake.complete_all("failed") == []
        assert client.dags.unpause("bridge_failing").is_paused is False
        final = client.dag_runs.wait("bridge_failing", run.run_id, interval=0.01, timeout=5)
        assert final.state == "failed"
        assert client.dags.pause("bridge_failing").is_paused is True


@pytest.mark.parametrize("version", VERSIONS)
def test_a_try_that_did_not_happen(version: str) -> None:
    """2.10.5 answers 200 with a "could not read" text, 3.3.2 a 404 (both recorded)."""
    fake = FakeAirflow(version)
    with client_for(fake) as client:
        failed_run(fake, client, "rb")
        if version.startswith("2."):
            log = client.task_instances.logs("bridge_failing", "rb", "explode", try_number=2)
            assert "Could not read served logs" in " ".join(r.message for r in log)
        else:
            with pytest.raises(NotFound):
                client.task_instances.logs("bridge_failing", "rb", "explode", try_number=2)


@pytest.mark.parametrize(
    ("task_ids", "downstream", "cleared"),
    [
        (["setup"], False, ["setup"]),
        (["setup"], True, ["after", "explode", "setup"]),
        (["explode"], True, ["after", "explode"]),
        (None, False, ["after", "explode", "setup"]),
    ],
)
@pytest.mark.parametrize("version", VERSIONS)
def test_clear_picks_tasks_and_their_downstream(
    version: str, task_ids: list[str] | None, downstream: bool, cleared: list[str]
) -> None:
    fake = FakeAirflow(version)
    with client_for(fake) as client:
        failed_run(fake, client, "rb")
        result = client.task_instances.clear(
            "bridge_failing", "rb", task_ids=task_ids, include_downstream=downstream
        )
        assert sorted(t.task_id for t in result.task_instances) == cleared


def test_airflow2_log_tokens_continue_after_what_was_read() -> None:
    """The signed token carries the position read; asked with it, the rest is empty text."""
    fake = FakeAirflow("2.10.5")
    with client_for(fake) as client:
        failed_run(fake, client, "rb")
    path = "/api/v1/dags/bridge_failing/dagRuns/rb/taskInstances/explode/logs/1"
    headers = {"accept": "application/json"}
    with httpx.Client(
        base_url=fake.base_url, transport=fake.transport(), auth=("admin", "admin")
    ) as http:
        first = http.get(path, headers=headers).json()
        assert FAILURE in first["content"]
        rest = http.get(path, headers=headers, params={"token": first["continuation_token"]})
        assert rest.json()["content"] == "[('fakehost', '')]"
        text = http.get(path)  # without Accept: application/json, Airflow 2 sends the text
        assert text.headers["content-type"] == "text/plain"
        assert FAILURE in text.text and not text.text.startswith("[(")


@pytest.mark.parametrize("version", VERSIONS)
def test_dag_listing_filters(version: str) -> None:
    fake = FakeAirflow(version)
    with client_for(fake) as client:
        assert [d.dag_id for d in client.dags.list(tags=["bridge"], paused=True)] == [
            "bridge_failing"
        ]
        assert client.dags.list(tags=["nope"]) == []
        assert [d.dag_id for d in client.dags.list(dag_id_pattern="bridge_p")] == [
            "bridge_plain",
            "bridge_producer",
        ]


@pytest.mark.parametrize("version", VERSIONS)
def test_wait_can_raise_with_the_failed_task_instances(version: str) -> None:
    fake = FakeAirflow(version, auto=1)
    with client_for(fake) as client:
        client.dags.unpause("bridge_failing")
        client.dag_runs.trigger("bridge_failing", run_id="rb")
        with pytest.raises(RunFailed) as caught:
            client.dag_runs.wait("bridge_failing", "rb", interval=0.01, raise_on_failure=True)
        assert caught.value.run.state == "failed"
        assert [(t.task_id, t.try_number) for t in caught.value.failed_tasks] == [("explode", 1)]
        assert "failed tasks: explode" in str(caught.value)
        # without the flag the failed run is returned, as before
        assert client.dag_runs.wait("bridge_failing", "rb", interval=0.01).state == "failed"
        client.dag_runs.trigger("bridge_plain", run_id="fine")
        done = client.dag_runs.wait("bridge_plain", "fine", interval=0.01, raise_on_failure=True)
        assert done.state == "success"
        sent = len(fake.requests)
        with pytest.raises(InvalidArgument, match="raise_on_failure"):
            client.dag_runs.wait("bridge_plain", "fine", raise_on_failure="yes")  # type: ignore[arg-type]
        assert len(fake.requests) == sent


def test_async_wait_raises_alike() -> None:
    fake = FakeAirflow("3.3.2", auto=1)

    async def main() -> RunFailed:
        async with AsyncClient(
            fake.base_url, username="admin", password="admin", transport=fake.async_transport()
        ) as client:
            await client.dags.unpause("bridge_failing")
            await client.dag_runs.trigger("bridge_failing", run_id="rb")
            try:
                await client.dag_runs.wait(
                    "bridge_failing", "rb", interval=0.01, raise_on_failure=True
                )
            except RunFailed as error:
                return error
        raise AssertionError("RunFailed not raised")

    error = asyncio.run(main())
    assert [t.task_id for t in error.failed_tasks] == ["explode"]


def test_a_fleet_wait_gives_each_failed_server_its_run_failed() -> None:
    fakes = {v: FakeAirflow(v, auto=1) for v in VERSIONS}
    clients = {v: client_for(fake) for v, fake in fakes.items()}
    for client in clients.values():
        client.dags.unpause("bridge_failing")
        client.dag_runs.trigger("bridge_failing", run_id="rb")
    with Fleet(clients) as fleet:
        result = fleet.dag_runs.wait("bridge_failing", "rb", interval=0.01, raise_on_failure=True)
    assert sorted(result.errors) == sorted(VERSIONS)
    for error in result.errors.values():
        assert isinstance(error, RunFailed)
        assert [t.task_id for t in error.failed_tasks] == ["explode"]
