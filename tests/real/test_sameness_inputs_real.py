"""Issue 9, items 1, 2, 4, 7, 9 and 10 on the live servers: the same input, the same outcome;
and the README's kept differences, pinned as they are.

Each test runs once per live server (2.10.5 and 3.3.2 by default). Runs created here have a
unique id prefix and a logical date in a random minute of their own (so filters see only
them), and are deleted at the end. tests/unit/test_sameness_inputs.py checks the same against the
fakes and scripted transports.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from airflow_bridge import Client, DagRunState, RunType
from airflow_bridge.errors import (
    AuthenticationError,
    Conflict,
    InvalidArgument,
    InvalidRunId,
    NotFound,
    Redirected,
    ServerError,
    UnsupportedOperation,
)

pytestmark = pytest.mark.real

UTC = timezone.utc
PLAIN = "bridge_plain"
DEFAULT_PATTERN = "^[A-Za-z0-9_.~:+-]+$"


def connect(server: dict[str, Any], **credentials: Any) -> Client:
    if not credentials:
        credentials = {"username": server["username"], "password": server["password"]}
    return Client(str(server["base_url"]), timeout=120, **credentials)


@pytest.fixture
def client(live_server: dict[str, Any]) -> Iterator[Client]:
    with connect(live_server) as c:
        yield c


@pytest.fixture
def prefix() -> str:
    return f"same-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def minute() -> datetime:
    """A logical date of this test's own (after the DAGs' start_date, in the past)."""
    return datetime(2024, 2, 1, tzinfo=UTC) + timedelta(minutes=random.randrange(400_000))


def remove(client: Client, run_id: str) -> None:
    """Delete a run; Airflow 3.3.2 refuses to delete a running one (409), so fail it first."""
    try:
        client.dag_runs.set_state(PLAIN, run_id, "failed")
        client.dag_runs.delete(PLAIN, run_id)
    except NotFound:
        pass


# -- 1 ----------------------------------------------------------------------------------------


# "/" (refused before sending wherever it is in a path): tests/real/test_hostile_ids_real.py
@pytest.mark.parametrize("bad", [" with space", "%x", "?x", "#x", "ünï", "\tx"])
def test_a_run_id_outside_the_pattern_is_invalid_run_id(
    client: Client, prefix: str, bad: str
) -> None:
    run_id = prefix + bad
    with pytest.raises(InvalidRunId) as caught:
        client.dag_runs.trigger(PLAIN, run_id=run_id)
    assert not isinstance(caught.value, ServerError)
    assert DEFAULT_PATTERN in str(caught.value) and caught.value.run_id == run_id
    with pytest.raises(NotFound):  # nothing was created
        client.dag_runs.get(PLAIN, run_id)


def test_double_dots_and_a_trailing_newline_differ_as_documented(
    client: Client, prefix: str
) -> None:
    """Airflow 3.3.2 refuses ".." in a run id; 2.10.5 takes it. 2.10.5 refuses a trailing
    newline (re2's `$`); 3.3.2 takes it (Python's `$` matches before a final newline). The
    refusals are InvalidRunId on both; the acceptances are README rows, pinned here."""
    runs = client.dag_runs
    generation = client.server.api
    dotted, newline = prefix + "..x", prefix + "\n"
    for run_id, refused_on in ((dotted, "v2"), (newline, "v1")):
        if generation == refused_on:
            with pytest.raises(InvalidRunId):
                runs.trigger(PLAIN, run_id=run_id)
        else:
            try:
                assert runs.trigger(PLAIN, run_id=run_id).run_id == run_id
            finally:
                remove(client, run_id)


# -- 2 and 7 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filters",
    [{"states": ["bogus"]}, {"run_types": ["bogus"]}, {"order_by": "color"}],
    ids=["state", "run_type", "order_by"],
)
def test_unknown_filter_values_are_invalid_argument(
    client: Client, filters: dict[str, Any]
) -> None:
    with pytest.raises(InvalidArgument):
        client.dag_runs.list(PLAIN, **filters)
    with pytest.raises(InvalidArgument):
        client.dag_runs.count(PLAIN, **filters)


def test_state_names_in_any_case_find_the_same_runs(
    client: Client, prefix: str, minute: datetime
) -> None:
    runs = client.dag_runs
    run_id = prefix + "-failed"
    window = {"logical_date_gte": minute, "logical_date_lte": minute + timedelta(seconds=59)}
    runs.trigger(PLAIN, run_id=run_id, logical_date=minute)
    try:
        runs.set_state(PLAIN, run_id, "FAILED")
        for spelling in ("failed", "FAILED", "Failed", DagRunState.FAILED):
            found = runs.list(PLAIN, states=[spelling], **window)
            assert [r.run_id for r in found] == [run_id], spelling
            batch = runs.list(dag_ids=[PLAIN], states=spelling, **window)
            assert [r.run_id for r in batch] == [run_id], spelling
            assert runs.count(PLAIN, states=spelling, **window) == 1
    finally:
        remove(client, run_id)


@pytest.mark.parametrize(
    "name", ["dataset_triggered", "asset_triggered", "Dataset_Triggered", RunType.ASSET_TRIGGERED]
)
def test_either_generations_run_type_name_works(client: Client, name: str) -> None:
    runs = client.dag_runs
    if client.server.api == "v1":  # Airflow 2's list has no run_type filter at all
        with pytest.raises(UnsupportedOperation, match="run_types"):
            runs.count(run_types=[name])
        return
    expected = runs.count(run_types=["asset_triggered"])
    assert runs.count(run_types=[name]) == expected
    found = runs.list(run_types=[name], limit=5)
    assert all(r.run_type == RunType.ASSET_TRIGGERED for r in found)


# -- 4 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("conf", [[1, 2], '{"a": 1}', [], [["k", "v"]], {1: "a"}])
def test_conf_that_is_not_a_json_object_is_refused(client: Client, prefix: str, conf: Any) -> None:
    try:
        with pytest.raises(InvalidArgument, match="conf"):
            client.dag_runs.trigger(PLAIN, run_id=prefix, conf=conf)
        with pytest.raises(NotFound):  # nothing was created (before: [] was sent as {})
            client.dag_runs.get(PLAIN, prefix)
    finally:
        remove(client, prefix)


def test_conf_of_every_json_type_round_trips(client: Client, prefix: str) -> None:
    conf = {"s": "x", "i": 1, "f": 1.5, "b": True, "n": None, "l": [1, "a"], "d": {"k": [{}]}}
    try:
        assert client.dag_runs.trigger(PLAIN, run_id=prefix, conf=conf).conf == conf
        assert client.dag_runs.get(PLAIN, prefix).conf == conf
    finally:
        remove(client, prefix)


def test_clear_with_a_string_dry_run_is_refused_and_changes_nothing(
    client: Client, prefix: str, minute: datetime
) -> None:
    """Sent as is, 3.3.2 reads dry_run="no" as a real clear; 2.10.5 answers 400."""
    runs = client.dag_runs
    runs.trigger(PLAIN, run_id=prefix, logical_date=minute)
    try:
        runs.set_state(PLAIN, prefix, "failed")
        with pytest.raises(InvalidArgument, match="dry_run"):
            runs.clear(PLAIN, prefix, dry_run="no")
        assert runs.get(PLAIN, prefix).state == DagRunState.FAILED
    finally:
        remove(client, prefix)


# -- 9 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("username", "password"), [("admin", ""), ("", "admin")])
def test_empty_credentials_are_an_authentication_error(
    live_server: dict[str, Any], username: str, password: str
) -> None:
    with (
        connect(live_server, username=username, password=password) as client,
        pytest.raises(AuthenticationError, match="username or password is empty"),
    ):
        client.dag_runs.count(PLAIN)


def test_a_wrong_password_is_an_authentication_error(live_server: dict[str, Any]) -> None:
    with (
        connect(live_server, username="admin", password="not-the-password") as client,
        pytest.raises(AuthenticationError, match="check username= and password=") as caught,
    ):
        client.dag_runs.count(PLAIN)
    assert "not-the-password" not in str(caught.value)


def test_basic_auth_as_auth_works_or_says_how_to_log_in(live_server: dict[str, Any]) -> None:
    basic = httpx.BasicAuth(str(live_server["username"]), str(live_server["password"]))
    with connect(live_server, auth=basic) as client:
        if client.server.api == "v1":
            assert client.dag_runs.count(PLAIN) >= 0
            return
        with pytest.raises(AuthenticationError) as caught:
            client.dag_runs.count(PLAIN)
    assert "/auth/token" in str(caught.value)
    assert "pass username= and password=" in str(caught.value)


# -- 10 ---------------------------------------------------------------------------------------


@pytest.fixture
def redirector(live_server: dict[str, Any]) -> Iterator[str]:
    """A loopback "proxy" that answers every request with a 301 to the live server."""
    target = str(live_server["base_url"])

    class Moved(BaseHTTPRequestHandler):
        def do_any(self) -> None:
            self.send_response(301)
            self.send_header("Location", target + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_PATCH = do_DELETE = do_any

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Moved)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("api", ["auto", "given"])
def test_a_redirect_names_the_base_url_that_works(
    live_server: dict[str, Any], redirector: str, api: str
) -> None:
    """Detection and a later request (api= given) both say which base URL to use instead,
    and that base URL works."""
    generation = "auto" if api == "auto" else str(live_server["api"])
    with (
        Client(
            redirector,
            username=str(live_server["username"]),
            password=str(live_server["password"]),
            api=generation,
        ) as client,
        pytest.raises(Redirected) as caught,
    ):
        client.dag_runs.count(PLAIN)
    base = str(live_server["base_url"])
    assert f"use base_url={base!r}" in str(caught.value)
    with connect(live_server) as fixed:
        assert fixed.dag_runs.count(PLAIN) >= 0


# -- the same kinds, found while sweeping ------------------------------------------------------


def test_run_ids_up_to_250_characters(client: Client, prefix: str) -> None:
    """2.10.5 refuses 251 characters with a 400, 3.3.2 stored them: refused before sending."""
    longest = prefix + "x" * (250 - len(prefix))
    try:
        assert client.dag_runs.trigger(PLAIN, run_id=longest).run_id == longest
    finally:
        remove(client, longest)
    with pytest.raises(InvalidArgument, match="at most 250"):
        client.dag_runs.trigger(PLAIN, run_id=longest + "x")


def test_an_empty_dag_ids_list_counts_no_run(client: Client) -> None:
    """Sent as is, both generations count the runs of every DAG for `dag_ids: []`."""
    assert client.dag_runs.list(dag_ids=[]) == []
    assert client.dag_runs.count(dag_ids=[]) == 0


def test_a_second_run_on_the_same_logical_date_is_a_conflict_that_says_why(
    client: Client, prefix: str, minute: datetime
) -> None:
    runs = client.dag_runs
    runs.trigger(PLAIN, run_id=prefix, logical_date=minute)
    try:
        with pytest.raises(Conflict) as caught:
            runs.trigger(PLAIN, run_id=prefix + "-again", logical_date=minute)
        said = str(caught.value)
        assert "already exists" in said or "Unique constraint violation" in said
    finally:
        remove(client, prefix)
        remove(client, prefix + "-again")


# -- kept differences (README table, rows marked kept) -----------------------------------------


def _running(client: Client, run_id: str, seconds: float = 90.0) -> bool:
    """Poll until the live scheduler has the run running (bridge_plain runs for a second or
    two); False if it was never seen running."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = client.dag_runs.get(PLAIN, run_id).state
        if state == DagRunState.RUNNING:
            return True
        if state in (DagRunState.SUCCESS, DagRunState.FAILED):
            return False
        time.sleep(0.05)
    return False


def test_deleting_a_running_run_deletes_it_on_2_and_is_a_conflict_on_3(
    client: Client, prefix: str, minute: datetime
) -> None:
    """Kept: 2.10.5 deletes a running run; 3.3.2 answers 409 "cannot be deleted in running
    state". A run that finishes between the poll and the delete is tried again."""
    runs = client.dag_runs
    for attempt in range(5):
        run_id = f"{prefix}-{attempt}"
        runs.trigger(PLAIN, run_id=run_id, logical_date=minute + timedelta(seconds=attempt))
        try:
            if not _running(client, run_id):
                continue
            if client.server.api == "v1":
                runs.delete(PLAIN, run_id)
                with pytest.raises(NotFound):
                    runs.get(PLAIN, run_id)
                return
            try:
                runs.delete(PLAIN, run_id)
            except Conflict as refused:
                assert "cannot be deleted in running state" in str(refused)
                assert runs.get(PLAIN, run_id).run_id == run_id  # still there
                return
        finally:
            remove(client, run_id)
    pytest.fail("the live scheduler never showed a run running long enough to delete it")
