"""Inputs give the same outcome on Airflow 2 and 3 (issue 9, items 1, 2, 4, 7, 9 and 10), and
the README's kept differences are pinned as they are.

Each test runs against the fake Airflow 2.10.5 and 3.3.2 (the `fake_airflow` fixture) or
against scripted transports whose answers were seen on the live servers (the bodies below
are copied from 2.10.5 and 3.3.2). tests/real/test_sameness_inputs_real.py checks the same
against the live servers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from airflow_bridge import AsyncClient, Client, DagRunState, RunType
from airflow_bridge.errors import (
    AirflowBridgeError,
    AuthenticationError,
    BadRequest,
    Conflict,
    InvalidArgument,
    InvalidRunId,
    Redirected,
    ServerError,
    UnsupportedOperation,
)
from airflow_bridge.testing import FakeAirflow

UTC = timezone.utc
DEFAULT_PATTERN = "^[A-Za-z0-9_.~:+-]+$"
# What 2.10.5 and 3.3.2 answer for the version probes (shortened to what detection reads).
VERSION = {"v1": {"version": "2.10.5", "git_version": None}, "v2": {"version": "3.3.2"}}
V2_REFUSED_ID = (
    "The run_id provided '{}' does not match regex pattern '^[A-Za-z0-9_.~:+-]+$' or "
    "'^(?:manual|scheduled|asset_triggered)__(?:\\d{{4}}-\\d{{2}}-\\d{{2}}T\\d{{2}}:\\d{{2}}:"
    "\\d{{2}}\\+00:00)$'"
)


def connect(fake: FakeAirflow, **credentials: Any) -> Client:
    credentials = credentials or {"username": "admin", "password": "admin"}
    return Client(fake.base_url, transport=fake.transport(), **credentials)


def no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"nothing may be sent, not even the version probe: {request.url}")


OFFLINE = {"username": "admin", "password": "admin", "transport": httpx.MockTransport(no_network)}


def run_body(api: str, run_id: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "dag_run_id": run_id,
        "dag_id": "bridge_plain",
        "state": "queued",
        "conf": {},
        **fields,
    }
    if api == "v1":
        body.setdefault("execution_date", "2026-11-29T12:00:00+00:00")
    return body


def scripted(api: str, answer: Callable[[httpx.Request], httpx.Response]) -> httpx.MockTransport:
    """A server of one generation: the version probes as recorded, then `answer`."""
    other = "v1" if api == "v2" else "v2"

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == f"/api/{api}/version":
            return httpx.Response(200, json=VERSION[api])
        if request.url.path == f"/api/{other}/version":
            return httpx.Response(404, json={"detail": "Not Found"})
        if request.url.path == "/auth/token":
            return httpx.Response(201, json={"access_token": "x.e30.y"})
        return answer(request)

    return httpx.MockTransport(handle)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# -- 1. run ids a server refuses --------------------------------------------------------------

REFUSED_IDS = ["x with space", "a%b", "a?b", "a#b", "ünï", "a/b", "tab\tx"]


@pytest.mark.parametrize("run_id", REFUSED_IDS)
def test_a_run_id_outside_the_default_pattern_is_invalid_run_id_on_both(
    fake_airflow: FakeAirflow, run_id: str
) -> None:
    with connect(fake_airflow) as client:
        assert client.server.api == fake_airflow.api  # detected before counting requests
        before = len(fake_airflow.requests)
        with pytest.raises(InvalidRunId) as caught:
            client.dag_runs.trigger("bridge_plain", run_id=run_id)
        error = caught.value
        assert isinstance(error, BadRequest) and not isinstance(error, ServerError)
        assert DEFAULT_PATTERN in str(error) and error.pattern == DEFAULT_PATTERN
        assert error.run_id == run_id
        assert "retry" not in str(error)
        triggers = [r for r in fake_airflow.requests[before:] if r.path.endswith("/dagRuns")]
        assert len(triggers) == 1  # refused once, never retried
        assert client.dag_runs.list("bridge_plain") == []


@pytest.mark.parametrize("api", ["v1", "v2"])
def test_the_refusal_of_each_generation_becomes_invalid_run_id(api: str) -> None:
    """What each live server answers: 2.10.5 an HTML 500 page, 3.3.2 a 400 naming the pattern."""

    def answer(request: httpx.Request) -> httpx.Response:
        if api == "v1":
            return httpx.Response(500, html="<h1> Ooops! </h1><pre>Something bad has happened.")
        return httpx.Response(400, json={"detail": V2_REFUSED_ID.format("x y")})

    with (
        Client("http://af", username="a", password="b", transport=scripted(api, answer)) as c,
        pytest.raises(InvalidRunId, match=r"does not match '\^\[A-Za-z0-9_\.~:\+-\]\+\$'"),
    ):
        c.dag_runs.trigger("bridge_plain", run_id="x y")


@pytest.mark.parametrize("api", ["v1", "v2"])
def test_a_server_with_a_wider_pattern_still_takes_such_ids(api: str) -> None:
    """Nothing is refused client-side: a server configured with a wider
    allowed_run_id_pattern accepts "x with space", and so does the facade."""

    def answer(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)["dag_run_id"]
        return httpx.Response(200, json=run_body(api, sent))

    with Client("http://af", username="a", password="b", transport=scripted(api, answer)) as c:
        assert c.dag_runs.trigger("bridge_plain", run_id="x with space").run_id == "x with space"


@pytest.mark.parametrize("api", ["v1", "v2"])
def test_other_trigger_failures_keep_their_class(api: str) -> None:
    """A 500 (or 400) for an id that fits the default pattern is not blamed on the id."""
    status = 500 if api == "v1" else 400

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"detail": "something else"})

    with Client("http://af", username="a", password="b", transport=scripted(api, answer)) as c:
        with pytest.raises(ServerError if api == "v1" else BadRequest) as caught:
            c.dag_runs.trigger("bridge_plain", run_id="fits_the_pattern")
        assert not isinstance(caught.value, InvalidRunId)


def test_a_trailing_newline_is_refused_by_airflow_2_as_an_invalid_run_id() -> None:
    """2.10.5 (re2: `$` is the end of the text) answers 500 for "abc\\n"; 3.3.2 takes it."""

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, html="<h1> Ooops! </h1>")

    with (
        Client("http://af", username="a", password="b", transport=scripted("v1", answer)) as c,
        pytest.raises(InvalidRunId),
    ):
        c.dag_runs.trigger("bridge_plain", run_id="abc\n")


def test_double_dots_airflow_3_refuses_are_an_invalid_run_id() -> None:
    """3.3.2 refuses ".." in a run id with a 400 (2.10.5 accepts it: a documented difference)."""

    def answer(request: httpx.Request) -> httpx.Response:
        detail = "The run_id 'a..b' must not contain '..' to prevent path traversal"
        return httpx.Response(400, json={"detail": detail})

    with (
        Client("http://af", username="a", password="b", transport=scripted("v2", answer)) as c,
        pytest.raises(InvalidRunId, match=r"contains '\.\.'"),
    ):
        c.dag_runs.trigger("bridge_plain", run_id="a..b")


# -- 2 and 7. filter values ----------------------------------------------------------------------

BAD_FILTERS: list[dict[str, Any]] = [
    {"states": ["bogus"]},
    {"states": "bogus"},
    {"states": [""]},
    {"states": [1]},
    {"states": {"failed": True}},
    {"run_types": ["bogus"]},
    {"run_types": [RunType.MANUAL, "nope"]},
    {"order_by": "color"},
    {"order_by": ["-logical_date", "STATE"]},
    {"order_by": "--state"},
    {"order_by": [1]},
    {"dag_ids": ["bridge_plain", ""]},
    {"dag_ids": 5},
    {"run_id_pattern": 5},
    {"logical_date_gte": "2024-01-01"},
    {"start_date_gte": datetime(2024, 1, 1)},  # naive
    {"colour": "red"},
]


@pytest.mark.parametrize("filters", BAD_FILTERS, ids=lambda f: repr(f)[:40])
@pytest.mark.parametrize("method", ["list", "count", "iter"])
def test_bad_filter_values_are_refused_before_anything_is_sent(
    method: str, filters: dict[str, Any]
) -> None:
    with Client("http://af", **OFFLINE) as client, pytest.raises(InvalidArgument) as caught:
        getattr(client.dag_runs, method)("bridge_plain", **filters)
    assert not isinstance(caught.value, AirflowBridgeError)  # a caller's bug, not the server's
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, TypeError)


@pytest.mark.anyio
@pytest.mark.parametrize("filters", BAD_FILTERS[:8], ids=lambda f: repr(f)[:40])
async def test_bad_filter_values_are_refused_before_anything_is_sent_async(
    filters: dict[str, Any],
) -> None:
    transport = httpx.MockTransport(no_network)
    async with AsyncClient("http://af", username="a", password="b", transport=transport) as c:
        with pytest.raises(InvalidArgument):
            await c.dag_runs.list("bridge_plain", **filters)
        with pytest.raises(InvalidArgument):
            c.dag_runs.iter("bridge_plain", **filters)


@pytest.mark.parametrize("spelling", ["failed", "FAILED", "Failed", DagRunState.FAILED])
def test_state_names_are_case_insensitive_on_both(fake_airflow: FakeAirflow, spelling: str) -> None:
    fake_airflow.add_run("bridge_plain", "r-failed", state="failed")
    fake_airflow.add_run("bridge_plain", "r-ok", state="success")
    with connect(fake_airflow) as client:
        runs = client.dag_runs
        assert [r.run_id for r in runs.list("bridge_plain", states=[spelling])] == ["r-failed"]
        assert [r.run_id for r in runs.list(dag_ids=["bridge_plain"], states=spelling)] == [
            "r-failed"
        ]
        assert runs.count("bridge_plain", states=spelling) == 1
        sent = [q for r in fake_airflow.requests for q in r.query if q[0] == "state"]
        assert sent and {value for _, value in sent} == {"failed"}
        assert runs.set_state("bridge_plain", "r-ok", spelling).state == DagRunState.FAILED


@pytest.mark.parametrize("state", ["running", "bogus", "RUNNING", ""])
def test_states_no_server_can_set_are_refused_before_sending(state: str) -> None:
    with Client("http://af", **OFFLINE) as client:
        with pytest.raises(InvalidArgument, match="queued, success, failed"):
            client.dag_runs.set_state("bridge_plain", "r", state)
        with pytest.raises(InvalidArgument):
            client.dag_runs.update("bridge_plain", "r", state=state, note="n")


ASSET_NAMES = ["dataset_triggered", "asset_triggered", "DATASET_TRIGGERED", RunType.ASSET_TRIGGERED]


@pytest.mark.parametrize("name", ASSET_NAMES)
def test_either_generations_run_type_name_filters_the_same(
    fake_airflow: FakeAirflow, name: str
) -> None:
    with connect(fake_airflow) as client:
        runs = client.dag_runs
        producer = runs.trigger("bridge_producer", run_id="p1")
        fake_airflow.advance(producer.run_id, to="success")  # creates the consumer's run
        if fake_airflow.api == "v1":
            # Airflow 2's list has no run_type filter: any name is UnsupportedOperation.
            with pytest.raises(UnsupportedOperation, match="run_types"):
                runs.list(run_types=[name])
            return
        found = runs.list(run_types=[name])
        assert [r.dag_id for r in found] == ["bridge_consumer"]
        assert found[0].run_type == RunType.ASSET_TRIGGERED
        assert ("run_type", "asset_triggered") in fake_airflow.requests[-1].query


def test_the_v1_adapter_declares_its_own_run_type_name() -> None:
    """Translation is declared in the adapters: Airflow 2's word for asset-triggered runs."""
    from airflow_bridge.adapters import RUN_TYPE_ALIASES, V1Adapter, V2Adapter

    assert V1Adapter.run_type_names == {"asset_triggered": "dataset_triggered"}
    assert V2Adapter.run_type_names == {}
    assert RUN_TYPE_ALIASES == {"dataset_triggered": "asset_triggered"}


# -- 4. arguments of the wrong type or shape -----------------------------------------------------

AWARE = datetime(2024, 1, 1, tzinfo=UTC)
BAD_CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("trigger", ("bridge_plain",), {"conf": [1, 2]}),
    ("trigger", ("bridge_plain",), {"conf": '{"a": 1}'}),
    ("trigger", ("bridge_plain",), {"conf": []}),
    ("trigger", ("bridge_plain",), {"conf": [["k", "v"]]}),
    ("trigger", ("bridge_plain",), {"conf": 5}),
    ("trigger", ("bridge_plain",), {"conf": {1: "a"}}),
    ("trigger", ("bridge_plain",), {"conf": {"a": {2: "b"}}}),
    ("trigger", ("bridge_plain",), {"conf": {"when": AWARE}}),
    ("trigger", ("bridge_plain",), {"conf": {"x": float("nan")}}),
    ("trigger", ("bridge_plain",), {"conf": {"s": {1, 2}}}),
    ("trigger", ("bridge_plain",), {"run_id": ""}),
    ("trigger", ("bridge_plain",), {"run_id": 5}),
    ("trigger", ("bridge_plain",), {"run_id": "a" * 251}),
    ("trigger", ("bridge_plain",), {"note": 123}),
    ("trigger", ("bridge_plain",), {"logical_date": "2024-01-01T00:00:00+00:00"}),
    ("trigger", ("bridge_plain",), {"logical_date": datetime(2024, 1, 1)}),
    ("trigger", ("bridge_plain",), {"data_interval": (AWARE,)}),
    ("trigger", ("bridge_plain",), {"data_interval": ("2024-01-01", AWARE)}),
    # inverted: 2.10.5 and 3.3.2 both store it as sent (seen live, the differential tier)
    ("trigger", ("bridge_plain",), {"data_interval": (AWARE, AWARE - timedelta(minutes=1))}),
    ("trigger", (123,), {}),
    ("trigger", ("",), {}),
    ("get", ("bridge_plain", None), {}),
    ("get", (None, "r"), {}),
    ("delete", ("bridge_plain", ""), {}),
    ("upstream_events", ("bridge_plain", 5), {}),
    ("clear", ("bridge_plain", "r"), {"dry_run": "no"}),
    ("clear", ("bridge_plain", "r"), {"dry_run": 0}),
    ("clear", ("bridge_plain", "r"), {"dry_run": None}),
    ("clear", ("bridge_plain", "r"), {"only_failed": 1}),
    ("set_note", ("bridge_plain", "r", 123), {}),
    ("update", ("bridge_plain", "r"), {"note": ["x"]}),
    ("set_state", ("bridge_plain", "r", None), {}),
    ("wait", ("bridge_plain", "r"), {"timeout": "5"}),
    ("wait", ("bridge_plain", "r"), {"interval": 0}),
    ("wait", ("bridge_plain", "r"), {"timeout": -1}),
    ("list", ("bridge_plain",), {"limit": "5"}),
    ("list", ("bridge_plain",), {"limit": 2.5}),
    ("list", ("bridge_plain",), {"page_size": 10.5}),
    ("list", ("bridge_plain",), {"limit": True}),
    ("list", ("bridge_plain",), {"limit": -1}),
    ("list", ("bridge_plain",), {"page_size": 0}),
    ("update", ("bridge_plain", "r"), {}),
    ("list", (5,), {}),
    ("count", ("",), {}),
]


@pytest.mark.parametrize(
    ("method", "args", "kwargs"), BAD_CALLS, ids=[f"{m}{a}{k}"[:60] for m, a, k in BAD_CALLS]
)
def test_arguments_no_server_takes_as_meant_are_refused_before_anything_is_sent(
    method: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    with Client("http://af", **OFFLINE) as client, pytest.raises(InvalidArgument):
        getattr(client.dag_runs, method)(*args, **kwargs)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("method", "args", "kwargs"), BAD_CALLS, ids=[f"{m}{a}{k}"[:60] for m, a, k in BAD_CALLS]
)
async def test_the_async_client_refuses_the_same_arguments_before_sending(
    method: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    transport = httpx.MockTransport(no_network)
    async with AsyncClient("http://af", username="a", password="b", transport=transport) as c:
        with pytest.raises(InvalidArgument):
            await getattr(c.dag_runs, method)(*args, **kwargs)


@pytest.mark.parametrize(
    "arguments",
    [
        {"base_url": "ftp://af"},
        {"base_url": "http://af", "username": "a"},
        {"base_url": "http://af", "username": "a", "password": "b", "token": "t"},
        {"base_url": "http://af", "api": "v4"},
    ],
)
def test_client_arguments_are_the_same_error_type(arguments: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgument):
        Client(**arguments)


@pytest.mark.parametrize("conf", [[1, 2], "{}", [], [["k", "v"]]])
def test_conf_must_be_a_mapping_says_so(conf: Any) -> None:
    with (
        Client("http://af", **OFFLINE) as client,
        pytest.raises(InvalidArgument, match="conf must be a mapping"),
    ):
        client.dag_runs.trigger("bridge_plain", conf=conf)


def test_conf_of_every_json_type_reaches_both_servers_unchanged(fake_airflow: FakeAirflow) -> None:
    conf = {"s": "x", "i": 1, "f": 1.5, "b": True, "n": None, "l": [1, "a"], "d": {"k": [{}]}}
    with connect(fake_airflow) as client:
        run = client.dag_runs.trigger("bridge_plain", run_id="c1", conf=conf)
        assert run.conf == conf
        tupled = client.dag_runs.trigger("bridge_plain", run_id="c2", conf={"t": (1, 2)})
        assert tupled.conf == {"t": [1, 2]}  # a tuple is a JSON array, like a list


def test_clear_with_a_truthy_string_never_clears_for_real(fake_airflow: FakeAirflow) -> None:
    """3.3.2 reads dry_run="no" as False and really clears (2.10.5 answers 400)."""
    fake_airflow.add_run("bridge_plain", "r1", state="failed")
    with connect(fake_airflow) as client:
        with pytest.raises(InvalidArgument, match="dry_run must be True or False"):
            client.dag_runs.clear("bridge_plain", "r1", dry_run="no")
        assert client.dag_runs.get("bridge_plain", "r1").state == DagRunState.FAILED


# -- 9. credentials ------------------------------------------------------------------------------


@pytest.mark.parametrize(("username", "password"), [("admin", ""), ("", "admin"), ("", "")])
def test_empty_credentials_are_an_authentication_error_on_both(
    fake_airflow: FakeAirflow, username: str, password: str
) -> None:
    with (
        connect(fake_airflow, username=username, password=password) as client,
        pytest.raises(AuthenticationError, match="username or password is empty"),
    ):
        client.dag_runs.list("bridge_plain")


def test_a_wrong_password_says_what_to_check_on_both(fake_airflow: FakeAirflow) -> None:
    with (
        connect(fake_airflow, username="admin", password="wrong") as client,
        pytest.raises(AuthenticationError, match="check username= and password="),
    ):
        client.dag_runs.list("bridge_plain")


def test_basic_auth_given_as_auth_says_how_to_log_in(fake_airflow: FakeAirflow) -> None:
    with connect(fake_airflow, auth=httpx.BasicAuth("admin", "admin")) as client:
        if fake_airflow.api == "v1":  # Airflow 2 takes HTTP Basic
            assert client.dag_runs.list("bridge_plain") == []
            return
        with pytest.raises(AuthenticationError) as caught:
            client.dag_runs.list("bridge_plain")
    message = str(caught.value)
    assert "Not authenticated" in message and "/auth/token" in message
    assert "pass username= and password=" in message


def test_no_credentials_say_which_to_pass(fake_airflow: FakeAirflow) -> None:
    with (
        Client(fake_airflow.base_url, transport=fake_airflow.transport()) as client,
        pytest.raises(AuthenticationError, match="pass username= and password="),
    ):
        client.dag_runs.list("bridge_plain")


def test_credentials_never_appear_in_the_advice(fake_airflow: FakeAirflow) -> None:
    with (
        connect(fake_airflow, username="admin", password="s3cr3t-pw") as client,
        pytest.raises(AuthenticationError) as caught,
    ):
        client.dag_runs.list("bridge_plain")
    assert "s3cr3t-pw" not in str(caught.value)


@pytest.mark.anyio
async def test_the_async_client_gives_the_same_credential_advice(fake_airflow: FakeAirflow) -> None:
    async with AsyncClient(
        fake_airflow.base_url,
        username="admin",
        password="",
        transport=fake_airflow.async_transport(),
    ) as client:
        with pytest.raises(AuthenticationError, match="username or password is empty"):
            await client.dag_runs.list("bridge_plain")


# -- 10. redirects -------------------------------------------------------------------------------


def redirecting(location: Callable[[httpx.URL], str], status: int = 301) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers={"location": location(request.url)})

    return httpx.MockTransport(handle)


def to_https(url: httpx.URL) -> str:
    return str(url.copy_with(scheme="https"))


@pytest.mark.parametrize("api", ["auto", "v1", "v2"])
def test_a_redirect_says_where_it_points_and_which_base_url_to_use(api: str) -> None:
    """Detection ("auto") and later requests (api= given: the first request is the call or,
    on v2, the login) both name the target and the base URL to use."""
    transport = redirecting(to_https)
    with (
        Client(
            "http://af:8080/airflow", username="a", password="b", api=api, transport=transport
        ) as c,
        pytest.raises(Redirected) as caught,
    ):
        c.dag_runs.get("bridge_plain", "r1")
    error = caught.value
    assert error.status == 301 and error.location.startswith("https://af:8080/airflow/")
    assert "use base_url='https://af:8080/airflow'" in str(error)
    assert "answered 301" not in str(error)


def test_a_redirect_to_another_prefix_names_that_prefix() -> None:
    transport = redirecting(lambda url: url.path.replace("/api/", "/new/api/", 1), status=308)
    with (
        Client("http://af", api="v1", username="a", password="b", transport=transport) as c,
        pytest.raises(Redirected, match="use base_url='http://af/new'"),
    ):
        c.dag_runs.list("bridge_plain")


def test_a_redirect_to_a_login_page_says_to_point_at_the_api_itself() -> None:
    transport = redirecting(lambda url: "/login?next=%2F", status=302)
    with (
        Client("http://af", username="a", password="b", transport=transport) as c,
        pytest.raises(Redirected, match="point base_url at the Airflow API server itself"),
    ):
        assert c.server  # detection


@pytest.mark.anyio
async def test_the_async_client_reports_redirects_the_same() -> None:
    async with AsyncClient(
        "http://af", username="a", password="b", transport=redirecting(to_https)
    ) as c:
        with pytest.raises(Redirected, match="use base_url='https://af'"):
            await c.server_info()


# -- the same kinds, found while sweeping ---------------------------------------------------------


def test_the_longest_run_id_airflow_stores_works_and_one_more_is_refused(
    fake_airflow: FakeAirflow,
) -> None:
    """250 characters (ID_LEN) on both; 2.10.5 answers 400 for 251, 3.3.2 stored it."""
    with connect(fake_airflow) as client:
        assert client.dag_runs.trigger("bridge_plain", run_id="a" * 250).run_id == "a" * 250
        sent = len(fake_airflow.requests)
        with pytest.raises(InvalidArgument, match="at most 250"):
            client.dag_runs.trigger("bridge_plain", run_id="b" * 251)
        assert len(fake_airflow.requests) == sent


def test_an_empty_dag_ids_list_counts_no_run_as_it_lists_none(fake_airflow: FakeAirflow) -> None:
    """Both generations count every DAG's runs for `dag_ids: []`; list() returns []."""
    fake_airflow.add_run("bridge_plain", "r1")
    with connect(fake_airflow) as client:
        assert client.dag_runs.list(dag_ids=[]) == []
        assert client.dag_runs.count(dag_ids=[]) == 0
        assert client.dag_runs.count(dag_ids=["bridge_plain"]) == 1


@pytest.mark.parametrize("api", ["v1", "v2"])
def test_a_duplicate_run_is_a_conflict_that_says_why_on_both(api: str) -> None:
    """The bodies 2.10.5 and 3.3.2 answer for a second run with the same logical date:
    3.3.2's `message` alone says only "Serious error"; its `reason` says what."""
    v1 = {"detail": "DAGRun with DAG ID: 'bridge_plain' and DAGRun logical date: '...' already"}
    v2 = {
        "detail": {
            "reason": "Unique constraint violation",
            "statement": "hidden",
            "orig_error": "hidden",
            "message": "Serious error when handling your request. Check logs for more details"
            " - you will find it in api server when you look for ID 8FKiMA4e",
        }
    }

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(409, json=v1 if api == "v1" else v2)

    transport = scripted(api, answer)
    with (
        Client("http://af", username="a", password="b", transport=transport) as c,
        pytest.raises(Conflict, match=r"already|Unique constraint violation: Serious"),
    ):
        c.dag_runs.trigger("bridge_plain", run_id="r", logical_date=AWARE)


# -- kept differences (README table, rows marked kept) -----------------------------------------


def test_deleting_a_running_run_is_a_conflict_on_airflow_3_only(fake_airflow: FakeAirflow) -> None:
    """Kept: 2.10.5 deletes a running run, 3.3.2 answers 409 (both seen live, see
    tests/real/test_sameness_inputs_real.py); the facade does not read the state first."""
    with connect(fake_airflow) as client:
        runs = client.dag_runs
        run = runs.trigger("bridge_plain", run_id="running-1")
        fake_airflow.advance(run.run_id, to="running")
        if fake_airflow.api == "v1":
            runs.delete("bridge_plain", run.run_id)
            assert runs.list("bridge_plain") == []
            return
        with pytest.raises(Conflict, match="cannot be deleted in running state"):
            runs.delete("bridge_plain", run.run_id)
        assert [r.run_id for r in runs.list("bridge_plain")] == ["running-1"]


# 3.3.2's recorded answer to an unknown run type (fixtures/3.3.2/list_run_type_legacy.json),
# with the names of DagRunType in the 3.0.0 spec (no recorded 3.0 body; no 3.0 server here).
V30_RUN_TYPES = "backfill, scheduled, manual, asset_triggered"


@pytest.mark.parametrize("name", [RunType.ASSET_MATERIALIZATION, "operator_triggered"])
def test_a_run_type_an_older_airflow_3_lacks_is_its_bad_request(name: RunType | str) -> None:
    """Kept: run types are validated against RunType (the newest release's names), so a name
    Airflow 3.0 lacks is sent and 3.0 answers 422 -> BadRequest, not InvalidArgument."""
    sent: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v2/version":
            return httpx.Response(200, json={"version": "3.0.6"})
        if request.url.path == "/api/v1/version":
            return httpx.Response(404, json={"detail": "Not Found"})
        if request.url.path == "/auth/token":
            return httpx.Response(201, json={"access_token": "x.e30.y"})
        sent.append(request)
        detail = f"Invalid value for run type. Valid values are {V30_RUN_TYPES}"
        return httpx.Response(422, json={"detail": detail})

    transport = httpx.MockTransport(handle)
    with Client("http://af", username="a", password="b", transport=transport) as c:
        with pytest.raises(BadRequest, match="Invalid value for run type") as caught:
            c.dag_runs.list("bridge_plain", run_types=[name])
        assert not isinstance(caught.value, InvalidArgument)
        with pytest.raises(InvalidArgument):  # a name no release has: refused before sending
            c.dag_runs.list("bridge_plain", run_types=["materialised"])
    assert [dict(r.url.params.multi_items()).get("run_type") for r in sent] == [str(name)]
