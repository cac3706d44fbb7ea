"""Issue 11: faults between the client and the live 2.10.5 / 3.3.2 servers (tests/faultproxy.py):
connection resets before and after the server acted, half-written and slow bodies, 429/5xx
storms. Each test asserts the outcome (the complete result, or a typed error), the attempts the
proxy saw, the time taken, and, counted afterwards on the server with a client that bypasses
the proxy, that no run was made twice.

Runs created here have a logical date in a random minute of their own (so a window filter sees
only them) and are deleted at the end.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from _scenario_sync import remove
from faultproxy import FaultProxy, Rule

from airflow_bridge import Client
from airflow_bridge.errors import (
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    TransportTimeout,
)
from airflow_bridge.retries import RetryPolicy

pytestmark = pytest.mark.real

UTC = timezone.utc
PLAIN = "bridge_plain"
TRIGGER = "POST /api/*/dags/*/dagRuns"
ONE_RUN = "GET /api/*/dags/*/dagRuns/*"
LIST = "GET /api/*/dags/*/dagRuns"
PATCH = "PATCH /api/*/dags/*/dagRuns/*"
DELETE = "DELETE /api/*/dags/*/dagRuns/*"
#: Bounded: three attempts within ten seconds, short jittered pauses.
BOUNDED = RetryPolicy(attempts=3, deadline=10, backoff=0.2, max_backoff=0.5)


def connect(url: str, server: dict[str, Any], **options: Any) -> Client:
    options.setdefault("timeout", 60)
    return Client(url, username=server["username"], password=server["password"], **options)


@pytest.fixture
def direct(live_server: dict[str, Any]) -> Iterator[Client]:
    """A client straight to the server: what is really there."""
    with connect(str(live_server["base_url"]), live_server) as client:
        yield client


@pytest.fixture
def proxy(live_server: dict[str, Any]) -> Iterator[FaultProxy]:
    with FaultProxy(str(live_server["base_url"])) as running:
        yield running


@pytest.fixture
def window(direct: Client) -> Iterator[dict[str, datetime]]:
    """A logical-date minute of this test's own; its runs are deleted afterwards."""
    start = datetime(2024, 6, 1, tzinfo=UTC) + timedelta(minutes=random.randrange(400_000))
    bounds = {"logical_date_gte": start, "logical_date_lte": start + timedelta(seconds=59)}
    yield bounds
    for run in direct.dag_runs.list(PLAIN, **bounds):
        remove(direct, PLAIN, run.run_id, attempts=30)  # the scheduler may restart it


def runs_in(direct: Client, window: dict[str, datetime]) -> list[str]:
    return [run.run_id for run in direct.dag_runs.list(PLAIN, **window)]


def sent(proxy: FaultProxy, method: str) -> int:
    return sum(1 for seen in proxy.seen if seen.method == method and "/dagRuns" in seen.path)


# -- triggers: never twice -----------------------------------------------------------------------


@pytest.mark.parametrize("losses", [1, 2])
def test_a_trigger_whose_answer_is_lost_is_resent_and_makes_one_run(
    live_server: dict[str, Any],
    proxy: FaultProxy,
    direct: Client,
    window: dict[str, datetime],
    losses: int,
) -> None:
    """The server made the run, the client never heard: the resend (same client-made run id)
    answers 409, which the client checks against what it sent and returns as the run."""
    proxy.add(Rule("reset_after", TRIGGER, times=losses))
    conf = {"token": uuid.uuid4().hex}
    with connect(proxy.url, live_server) as client:
        run = client.dag_runs.trigger(PLAIN, logical_date=window["logical_date_gte"], conf=conf)
    assert run.conf == conf and run.logical_date == window["logical_date_gte"]
    assert sent(proxy, "POST") == losses + 1
    assert runs_in(direct, window) == [run.run_id]  # one run: no duplicate


def test_without_retries_a_lost_trigger_answer_is_a_transport_error_and_one_run(
    live_server: dict[str, Any], proxy: FaultProxy, direct: Client, window: dict[str, datetime]
) -> None:
    proxy.add(Rule("reset_after", TRIGGER))
    with connect(proxy.url, live_server, retries=0) as client, pytest.raises(TransportError):
        client.dag_runs.trigger(PLAIN, logical_date=window["logical_date_gte"])
    assert sent(proxy, "POST") == 1
    assert len(runs_in(direct, window)) == 1  # the server did make it; nothing made twice


def test_a_trigger_reset_before_it_reaches_the_server_is_resent_once(
    live_server: dict[str, Any], proxy: FaultProxy, direct: Client, window: dict[str, datetime]
) -> None:
    proxy.add(Rule("reset", TRIGGER))
    with connect(proxy.url, live_server) as client:
        run = client.dag_runs.trigger(PLAIN, logical_date=window["logical_date_gte"])
    assert runs_in(direct, window) == [run.run_id]


# -- reads: complete results ---------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["reset", "reset_after", "half"])
def test_a_broken_read_is_resent_and_the_result_is_complete(
    live_server: dict[str, Any],
    proxy: FaultProxy,
    direct: Client,
    window: dict[str, datetime],
    fault: Any,
) -> None:
    start = window["logical_date_gte"]
    made = [
        direct.dag_runs.trigger(PLAIN, logical_date=start + timedelta(seconds=i)).run_id
        for i in range(3)
    ]
    proxy.add(Rule(fault, ONE_RUN))
    proxy.add(Rule(fault, LIST))
    with connect(proxy.url, live_server) as client:
        assert client.dag_runs.get(PLAIN, made[0]).run_id == made[0]
        listed = client.dag_runs.list(PLAIN, **window)
    assert sorted(run.run_id for run in listed) == sorted(made)
    assert len(proxy.faults(fault)) == 2


@pytest.mark.parametrize("fault", ["reset_after", "half"])
def test_without_retries_a_broken_read_is_a_transport_error(
    live_server: dict[str, Any], proxy: FaultProxy, fault: Any
) -> None:
    proxy.add(Rule(fault, ONE_RUN))
    with connect(proxy.url, live_server, retries=0) as client, pytest.raises(TransportError):
        client.dag_runs.get(PLAIN, "no-such-run")


def test_a_slow_body_within_the_timeout_completes(
    live_server: dict[str, Any], proxy: FaultProxy
) -> None:
    proxy.add(Rule("slow", LIST, delay=1.5))
    with connect(proxy.url, live_server, timeout=10) as client:
        began = time.monotonic()
        client.dag_runs.list(PLAIN, limit=5)
    assert 1.3 <= time.monotonic() - began < 10


def test_a_body_slower_than_the_timeout_is_a_timeout_after_bounded_attempts(
    live_server: dict[str, Any], proxy: FaultProxy
) -> None:
    proxy.add(Rule("slow", LIST, delay=5, times=None))
    with connect(proxy.url, live_server, timeout=0.4, retries=BOUNDED) as client:
        client.server_info()  # detected before the slow answers start
        began = time.monotonic()
        with pytest.raises(TransportTimeout) as caught:
            client.dag_runs.list(PLAIN, limit=5)
    assert caught.value.phase == "read"
    assert len(proxy.faults("slow")) == BOUNDED.attempts
    assert time.monotonic() - began < BOUNDED.deadline + 3


# -- storms: waited out, or a typed error within bounds ------------------------------------------


@pytest.mark.parametrize("status", [429, 503])
def test_a_status_with_retry_after_1_then_success_takes_about_one_second(
    live_server: dict[str, Any], proxy: FaultProxy, status: int
) -> None:
    proxy.add(Rule("status", ONE_RUN, status=status, retry_after="1"))
    with connect(proxy.url, live_server) as client:
        client.server_info()
        began = time.monotonic()
        with pytest.raises(NotFound):  # the server's own answer, after the storm
            client.dag_runs.get(PLAIN, "no-such-run")
    assert 0.9 <= time.monotonic() - began < 5
    assert len(proxy.faults("status")) == 1


@pytest.mark.parametrize(
    ("status", "error"), [(429, RateLimited), (502, ServerError), (503, ServerError)]
)
def test_an_endless_storm_is_a_typed_error_after_bounded_attempts(
    live_server: dict[str, Any], proxy: FaultProxy, status: int, error: type[Exception]
) -> None:
    proxy.add(Rule("status", ONE_RUN, status=status, retry_after="1", times=None))
    with connect(proxy.url, live_server, retries=BOUNDED) as client:
        client.server_info()
        began = time.monotonic()
        with pytest.raises(error):
            client.dag_runs.get(PLAIN, "no-such-run")
    assert len(proxy.faults("status")) == BOUNDED.attempts
    assert time.monotonic() - began < BOUNDED.deadline + 3


def test_endless_resets_are_a_transport_error_after_bounded_attempts(
    live_server: dict[str, Any], proxy: FaultProxy
) -> None:
    proxy.add(Rule("reset", ONE_RUN, times=None))
    with connect(proxy.url, live_server, retries=BOUNDED) as client:
        client.server_info()
        with pytest.raises(TransportError):
            client.dag_runs.get(PLAIN, "no-such-run")
    assert len(proxy.faults("reset")) == BOUNDED.attempts


# -- writes: repeatable --------------------------------------------------------------------------


def test_writes_whose_answers_are_lost_are_resent_and_applied_once(
    live_server: dict[str, Any], proxy: FaultProxy, direct: Client, window: dict[str, datetime]
) -> None:
    run_id = direct.dag_runs.trigger(PLAIN, logical_date=window["logical_date_gte"]).run_id
    proxy.add(Rule("reset_after", PATCH, times=2))  # v1 update: two PATCHes, each lost once
    proxy.add(Rule("reset_after", DELETE))
    with connect(proxy.url, live_server) as client:
        updated = client.dag_runs.update(PLAIN, run_id, state="failed", note="faulty network")
        assert (updated.state, updated.note) == ("failed", "faulty network")
        client.dag_runs.delete(PLAIN, run_id)  # the resend's 404 means the first one did it
    assert runs_in(direct, window) == []
    assert len(proxy.faults("reset_after")) == 3


# -- the soak's 60-second smoke ------------------------------------------------------------------


def test_a_60_second_soak_through_the_fault_proxy_loses_nothing_and_duplicates_nothing(
    live_servers: dict[str, dict[str, Any]],
) -> None:
    """benchmarks/soak.py on every live server at once: 0 duplicates, 0 lost, 0 untyped."""
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, str(root / "benchmarks" / "soak.py"), "--seconds", "60", "--json"]
    done = subprocess.run(
        [*command, "--versions", *live_servers], capture_output=True, text=True, timeout=600
    )
    summaries = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert sorted(s["version"] for s in summaries) == sorted(live_servers), done.stderr[-2000:]
    for summary in summaries:
        print(json.dumps(summary))
        assert summary["duplicates"] == 0, summary
        assert summary["lost"] == 0, summary
        assert summary["untyped"] == {}, summary
        assert summary["operations_total"] >= 30 and summary["triggers"] >= 10, summary
        assert summary["retries"] > 0, summary  # faults really were injected and survived
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
