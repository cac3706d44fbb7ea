"""A run that does not exist is NotFound when its task instances are listed, on both
generations: 2.10.5 answers such a list with 200 and no task instances, 3.3.2 with 404
(both seen live, 2026-11-29), so on Airflow 2 an empty list is followed by one GET of the run.
"""

from __future__ import annotations

import anyio
import httpx
import pytest

from airflow_bridge import AsyncClient, Client
from airflow_bridge.errors import NotFound
from airflow_bridge.testing import FakeAirflow

VERSIONS = ("2.10.5", "3.3.2")


class Counting(httpx.BaseTransport):
    """The fake's transport, counting the task instance lists and run GETs sent."""

    def __init__(self, fake: FakeAirflow) -> None:
        self.inner = fake.transport()
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return self.inner.handle_request(request)


def client_for(fake: FakeAirflow, transport: httpx.BaseTransport) -> Client:
    return Client(fake.base_url, username="admin", password="admin", transport=transport)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("dag_id", "run_id"), [("bridge_plain", "no-such"), ("no_dag", "r")])
def test_a_missing_run_or_dag_is_not_found(version: str, dag_id: str, run_id: str) -> None:
    fake = FakeAirflow(version)
    with client_for(fake, fake.transport()) as client:
        with pytest.raises(NotFound):
            client.task_instances.list(dag_id, run_id)
        with pytest.raises(NotFound):
            client.task_instances.failed(dag_id, run_id)


@pytest.mark.parametrize("version", VERSIONS)
def test_the_async_client_says_the_same(version: str) -> None:
    fake = FakeAirflow(version)

    async def listing() -> None:
        async with AsyncClient(
            fake.base_url, username="admin", password="admin", transport=fake.async_transport()
        ) as client:
            await client.task_instances.list("bridge_plain", "no-such")

    with pytest.raises(NotFound):
        anyio.run(listing)


@pytest.mark.parametrize("version", VERSIONS)
def test_an_existing_run_with_nothing_matching_is_an_empty_list(version: str) -> None:
    fake = FakeAirflow(version)
    counting = Counting(fake)
    with client_for(fake, counting) as client:
        run = client.dag_runs.trigger("bridge_plain")
        counting.paths.clear()
        assert client.task_instances.failed("bridge_plain", run.run_id) == []
        assert client.task_instances.list("bridge_plain", run.run_id) != []
    lists = [p for p in counting.paths if p.endswith("/taskInstances")]
    gets = [p for p in counting.paths if p.endswith(run.run_id)]
    assert len(lists) == 2
    # only Airflow 2's empty answer is checked, with one GET of the run
    assert len(gets) == (1 if version.startswith("2.") else 0)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_run_or_dag_is_never_missing(version: str) -> None:
    """`~` (every run, every DAG) lists what there is, [] when nothing ran: never NotFound,
    and never a GET of a run named `~`."""
    fake = FakeAirflow(version)
    counting = Counting(fake)
    with client_for(fake, counting) as client:
        counting.paths.clear()
        assert client.task_instances.failed("bridge_plain", "~") == []
        assert client.task_instances.failed("~", "~") == []
    assert not [p for p in counting.paths if p.endswith("/dagRuns/~")]
