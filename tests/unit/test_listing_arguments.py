"""iter/list/count arguments that no server would take as meant, checked before sending:
`order_by` conf (2.10.5 and 3.3.2 ordered 9 runs differently), a `dag_id` beside `dag_ids=`
(it was ignored), and empty list filters (an empty `states` was dropped and counted every
run, where `dag_ids=[]` counted 0)."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest

from airflow_bridge import AsyncClient, Client
from airflow_bridge.compat import v1, v2
from airflow_bridge.compat.v1.api.dag_run_api import DAGRunApi
from airflow_bridge.compat.v1.model.list_dag_runs_form import ListDagRunsForm
from airflow_bridge.compat.v2 import DagRunApi, DAGRunsBatchBody
from airflow_bridge.errors import InvalidArgument
from airflow_bridge.models import ORDER_FIELDS
from airflow_bridge.testing import FakeAirflow

URL = "http://airflow:8080"
VERSIONS = ("2.10.5", "3.3.2")


def refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"nothing may be sent, but {request.method} {request.url} was")


def silent() -> Client:
    """A client whose every request fails the test, detection included."""
    return Client(URL, username="admin", password="pw", transport=httpx.MockTransport(refuse))


def seeded(version: str) -> tuple[Client, list[str]]:
    """A client of a fake holding 2 runs of bridge_plain and 1 of bridge_failing, and the
    paths of the requests it sends."""
    fake = FakeAirflow(version)
    fake.add_run("bridge_plain", "p1", state="failed")
    fake.add_run("bridge_plain", "p2", state="success")
    fake.add_run("bridge_failing", "f1", state="failed")
    inner = fake.transport()
    paths: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        return inner.handle_request(request)

    transport = httpx.MockTransport(record)
    return Client(fake.base_url, username="admin", password="admin", transport=transport), paths


def listed(paths: list[str]) -> list[str]:
    return [path for path in paths if "dagRuns" in path]


# -- order_by conf ------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["conf", "-conf", ["logical_date", "conf"], ("-conf",)])
@pytest.mark.parametrize("call", ["list", "iter", "count"])
def test_ordering_by_conf_is_refused_before_anything_is_sent(call: str, order: Any) -> None:
    with pytest.raises(InvalidArgument) as caught:
        getattr(silent().dag_runs, call)("bridge_plain", order_by=order)
    message = str(caught.value)
    assert "Airflow 2 sorts" in message and "JSON text" in message
    assert "sorted(runs, key=" in message  # says what to do instead


def test_the_async_client_refuses_conf_ordering_too() -> None:
    async def main() -> None:
        client = AsyncClient(
            URL, username="admin", password="pw", transport=httpx.MockTransport(refuse)
        )
        with pytest.raises(InvalidArgument, match="'-conf' is refused"):
            await client.dag_runs.count(order_by="-conf")
        await client.aclose()

    anyio.run(main)


def test_conf_is_not_an_order_field_and_every_order_field_still_lists() -> None:
    assert "conf" not in ORDER_FIELDS
    client, _ = seeded("3.3.2")
    for name in ORDER_FIELDS:
        for key in (name, f"-{name}"):
            assert len(client.dag_runs.list("bridge_plain", order_by=key)) == 2, key


# -- dag_id beside dag_ids= ---------------------------------------------------------------


@pytest.mark.parametrize("call", ["list", "iter", "count"])
@pytest.mark.parametrize("dag_id", ["bridge_failing", "bridge_plain"])
def test_a_dag_id_beside_dag_ids_is_refused_before_anything_is_sent(call: str, dag_id: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        getattr(silent().dag_runs, call)(dag_id, dag_ids=["bridge_plain"])
    message = str(caught.value)
    assert f"dag_id {dag_id!r} and dag_ids=" in message
    assert "pass dag_ids=[...] alone" in message


@pytest.mark.parametrize("version", VERSIONS)
def test_dag_ids_with_the_default_or_explicit_every_dag_id_still_lists(version: str) -> None:
    client, _ = seeded(version)
    runs = client.dag_runs
    assert runs.count(dag_ids=["bridge_plain"]) == 2
    assert runs.count("~", dag_ids=["bridge_failing"]) == 1
    assert {r.run_id for r in runs.list("~", dag_ids=["bridge_plain", "bridge_failing"])} == {
        "p1",
        "p2",
        "f1",
    }
    assert runs.count("bridge_failing") == 1  # dag_id alone


# -- empty list filters -------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "empty", [{"dag_ids": []}, {"states": []}, {"states": ()}, {"states": iter([])}]
)
def test_an_empty_list_filter_matches_nothing_without_a_list_request(
    version: str, empty: dict[str, Any]
) -> None:
    client, paths = seeded(version)
    assert client.dag_runs.count("~" if "dag_ids" in empty else "bridge_plain", **empty) == 0
    assert paths == []  # count sends nothing at all, detection included
    empty = {name: list(value) for name, value in empty.items()}  # a used-up iterator
    assert client.dag_runs.list("~" if "dag_ids" in empty else "bridge_plain", **empty) == []
    assert listed(paths) == []
    assert client.dag_runs.count("bridge_plain") == 2  # the same client lists otherwise


def test_an_empty_run_types_filter_matches_nothing_without_a_list_request() -> None:
    client, paths = seeded("3.3.2")  # run_types is Airflow 3's filter
    assert client.dag_runs.count("bridge_plain", run_types=[]) == 0
    assert client.dag_runs.list("bridge_plain", run_types=[]) == []
    assert listed(paths) == []


@pytest.mark.parametrize("version", VERSIONS)
def test_a_non_empty_filter_still_filters(version: str) -> None:
    client, _ = seeded(version)
    assert client.dag_runs.count("bridge_plain", states=["failed"]) == 1
    assert [r.run_id for r in client.dag_runs.list("bridge_plain", states="success")] == ["p2"]
    assert client.dag_runs.count("bridge_plain", states=None) == 2  # None: no filter


def test_an_empty_filter_still_checks_limit_and_page_size() -> None:
    with pytest.raises(InvalidArgument, match="limit"):
        silent().dag_runs.list("bridge_plain", states=[], limit=-1)
    with pytest.raises(InvalidArgument, match="page_size"):
        silent().dag_runs.iter("bridge_plain", states=[], page_size=0)


# -- the compat layers keep the official clients' meaning ---------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_the_compat_layers_read_an_empty_state_list_as_the_official_clients_do(
    version: str,
) -> None:
    """The official clients send no `state` for [] (a GET cannot carry an empty list) and
    `states: []` in a batch body, which 2.10.5 and 3.3.2 read as no filter (seen live)."""
    fake = FakeAirflow(version)
    fake.add_run("bridge_plain", "p1", state="failed")
    fake.add_run("bridge_plain", "p2", state="success")
    for module, path in ((v1, "/api/v1"), (v2, "/api/v2")):
        configuration = module.Configuration(
            host=fake.base_url + path, username="admin", password="admin"
        )
        configuration.transport = fake.transport()
        with module.ApiClient(configuration) as api_client:
            if module is v1:
                api: Any = DAGRunApi(api_client)
                assert api.get_dag_runs("bridge_plain", state=[]).total_entries == 2
                form = ListDagRunsForm(dag_ids=["bridge_plain"], states=[])
                assert len(api.get_dag_runs_batch(form).dag_runs) == 2
            else:
                api = DagRunApi(api_client)
                assert api.get_dag_runs("bridge_plain", state=[]).total_entries == 2
                assert api.get_dag_runs("bridge_plain", run_type=[]).total_entries == 2
                body = DAGRunsBatchBody(dag_ids=["bridge_plain"], states=[])
                assert len(api.get_list_dag_runs_batch("~", body).dag_runs) == 2
