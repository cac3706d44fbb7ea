"""The product claim, proven live: one scenario, written once against the public API, runs
unchanged on Airflow 2 (/api/v1) and Airflow 3 (/api/v2), synchronously and awaited, and
gives equal normalized results.

`scenario` (sync) and `scenario_async` (its twin, step for step) use every `dag_runs` method
and meet every error type. Each step records a normalized result (this run's unique ids and
dates replaced by placeholders; timestamps, server-chosen values and fields only one
generation has left out) and, instead of stopping the scenario, its failure, so one run
reports every broken step. The per-server tests require no failed step; the last test
requires the results of all four runs (two servers, sync and async) to be equal.

The servers hold runs of other tests, so every run here has a unique id and a logical date in
a window of its own (a random minute between the DAGs' start_date and now): filters then see
exactly this scenario's runs. Everything the scenario creates is deleted at the end.
"""

from __future__ import annotations

import json
import socket
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NamedTuple, TypedDict, cast
from urllib.parse import parse_qs, unquote

import anyio
import httpx
import pytest

from airflow_bridge import (
    AssetEvent,
    AsyncClient,
    ClearResult,
    Client,
    DagRun,
    DagRunState,
    RunType,
)
from airflow_bridge.errors import (
    AirflowBridgeError,
    BadRequest,
    Conflict,
    NotFound,
    ServerError,
    UnsupportedOperation,
    WaitTimeout,
)

pytestmark = pytest.mark.real

UTC = timezone.utc
PLAIN, PRODUCER, CONSUMER = "bridge_plain", "bridge_producer", "bridge_consumer"
DATASET_URI = "bridge://datasets/one"
# After the DAGs' start_date (2024-01-01): a run dated earlier gets no task instances on
# either generation, so there would be nothing to clear. Windows start within ~9 months.
WINDOW_START = datetime(2024, 2, 1, tzinfo=UTC)
WINDOW_CHOICES = 400_000  # minutes
# A run dated here never finishes: Airflow 2 keeps it queued, Airflow 3 keeps its tasks
# waiting for the date. That makes WaitTimeout deterministic.
FULL_MINUTE, PRODUCER_MINUTE, ODD_ID_MINUTE, STUCK_MINUTE = 13, 14, 16, 18
CONF = {"source": "facade scenario", "numbers": [1, 2.5], "nested": {"none": None, "ok": True}}
WAIT_TIMEOUT = 240.0  # generous: Airflow 2's scheduler is slow under load
# Per generation, fields the other one lacks (v1 reports them as None), and values that are
# the server's own (timestamps, ids of internal objects): left out of the comparison.
DIFFERING = frozenset(
    {
        "api",
        "server",
        "extra",
        "queued_at",
        "start_date",
        "end_date",
        "last_scheduling_decision",
        "run_after",
        "triggered_by",
        "triggering_user",
        "dag_display_name",
        "bundle_version",
    }
)
V1_LACKS = ("run_after", "triggered_by", "triggering_user", "dag_display_name", "bundle_version")
RUN_DATES = ("logical_date", "data_interval_start", "data_interval_end")
THIS_FILE = Path(__file__).name


class Window(TypedDict):
    """A logical_date range filter."""

    logical_date_gte: datetime
    logical_date_lte: datetime


class PageRun(NamedTuple):
    name: str
    minute: int
    state: DagRunState


# The 12 runs listed in pages of 5, in creation order. Creation order, run_id order and
# logical_date order all differ, so each order_by visibly applies. They run to success; then
# the odd ones are set to failed (alternately as DagRunState.FAILED and as "failed").
PAGE_RUNS = tuple(
    PageRun(name, minute, DagRunState.SUCCESS if k % 2 == 0 else DagRunState.FAILED)
    for k, (name, minute) in enumerate(
        zip("hbkeafjclgdi", (7, 2, 10, 0, 5, 11, 3, 8, 1, 6, 9, 4), strict=True)
    )
)

NAIVE = datetime(2024, 6, 1)  # no tzinfo: refused
Call = Callable[[Any, "Ids"], object]  # (client.dag_runs, ids) -> a result, or its awaitable

# Wrong calls, the client that makes them, and what they raise on both generations.
# `dag_runs` of Client and AsyncClient take the same arguments, so the twins share the table.
ERROR_CALLS: tuple[tuple[str, str, Call, str], ...] = (
    ("get, unknown DAG", "admin", lambda runs, ids: runs.get(ids.run("no-dag"), "r"), "NotFound"),
    ("list, unknown DAG", "admin", lambda runs, ids: runs.list(ids.run("no-dag")), "NotFound"),
    ("count, unknown DAG", "admin", lambda runs, ids: runs.count(ids.run("no-dag")), "NotFound"),
    (
        "trigger, unknown DAG",
        "admin",
        lambda runs, ids: runs.trigger(ids.run("no-dag")),
        "NotFound",
    ),
    ("get, unknown run", "admin", lambda runs, ids: runs.get(PLAIN, ids.run("none")), "NotFound"),
    (
        "set_state, unknown run",
        "admin",
        lambda runs, ids: runs.set_state(PLAIN, ids.run("none"), "failed"),
        "NotFound",
    ),
    (
        "set_note, unknown run",
        "admin",
        lambda runs, ids: runs.set_note(PLAIN, ids.run("none"), "x"),
        "NotFound",
    ),
    (
        "clear, unknown run",
        "admin",
        lambda runs, ids: runs.clear(PLAIN, ids.run("none")),
        "NotFound",
    ),
    (
        "delete, unknown run",
        "admin",
        lambda runs, ids: runs.delete(PLAIN, ids.run("none")),
        "NotFound",
    ),
    (
        "upstream_events, unknown run",
        "admin",
        lambda runs, ids: runs.upstream_events(PLAIN, ids.run("none")),
        "NotFound",
    ),
    (
        "trigger, duplicate run_id",
        "admin",
        lambda runs, ids: runs.trigger(PLAIN, run_id=ids.run("full")),
        "Conflict",
    ),
    (
        "set_state 'running'",
        "admin",
        lambda runs, ids: runs.set_state(PLAIN, ids.run("full"), "running"),
        "BadRequest",
    ),
    (
        "set_state DagRunState.RUNNING",
        "admin",
        lambda runs, ids: runs.set_state(PLAIN, ids.run("full"), DagRunState.RUNNING),
        "BadRequest",
    ),
    (
        "set_state 'bogus'",
        "admin",
        lambda runs, ids: runs.set_state(PLAIN, ids.run("full"), "bogus"),
        "BadRequest",
    ),
    (
        "viewer triggers",
        "viewer",
        lambda runs, ids: runs.trigger(PLAIN, run_id=ids.run("viewer")),
        "PermissionDenied",
    ),
    (
        "viewer sets state",
        "viewer",
        lambda runs, ids: runs.set_state(PLAIN, ids.run("full"), "success"),
        "PermissionDenied",
    ),
    (
        "viewer clears",
        "viewer",
        lambda runs, ids: runs.clear(PLAIN, ids.run("full")),
        "PermissionDenied",
    ),
    (
        "wrong password",
        "wrong password",
        lambda runs, ids: runs.count(PLAIN),
        "AuthenticationError",
    ),
    (
        "no credentials",
        "no credentials",
        lambda runs, ids: runs.count(PLAIN),
        "AuthenticationError",
    ),
    ("invalid token", "invalid token", lambda runs, ids: runs.count(PLAIN), "AuthenticationError"),
    ("closed port", "closed port", lambda runs, ids: runs.count(PLAIN), "TransportError"),
    (
        "closed port, api given",
        "closed port, api given",
        lambda runs, ids: runs.get(PLAIN, ids.run("full")),
        "TransportError",
    ),
)
# Calls the library itself refuses (ValueError) without sending a request.
LOCAL_ERROR_CALLS: tuple[tuple[str, Call], ...] = (
    (
        "trigger, naive logical_date",
        lambda runs, ids: runs.trigger(PLAIN, run_id=ids.run("naive"), logical_date=NAIVE),
    ),
    (
        "trigger, naive data_interval",
        lambda runs, ids: runs.trigger(
            PLAIN, run_id=ids.run("naive"), logical_date=ids.at(30), data_interval=(NAIVE, NAIVE)
        ),
    ),
    ("list, naive filter", lambda runs, ids: runs.list(PLAIN, logical_date_gte=NAIVE)),
    ("count, naive filter", lambda runs, ids: runs.count(PLAIN, end_date_lte=NAIVE)),
    ("update, nothing to set", lambda runs, ids: runs.update(PLAIN, ids.run("full"))),
    ("wait, interval 0", lambda runs, ids: runs.wait(PLAIN, ids.run("full"), interval=0)),
)
EXPECTED_ERRORS = {name: expected for name, _, _, expected in ERROR_CALLS}
EXPECTED_LOCAL_ERRORS = {name: "ValueError" for name, _ in LOCAL_ERROR_CALLS}


# -- the servers, the ids of one run, what was sent, what happened ------------------------


@dataclass(frozen=True)
class Server:
    version: str
    api: str
    base_url: str
    username: str
    password: str
    viewer_username: str
    viewer_password: str

    @classmethod
    def of(cls, info: Mapping[str, object]) -> Server:
        """From a `live_server` dict (conftest)."""
        return cls(**{f.name: str(info[f.name]) for f in fields(cls)})


@dataclass(frozen=True)
class Ids:
    """The unique run ids and logical-date window of one scenario run."""

    tag: str
    base: datetime

    @classmethod
    def new(cls, mode: str) -> Ids:
        token = uuid.uuid4()
        minute = timedelta(minutes=token.int % WINDOW_CHOICES)
        return cls(f"facade-{mode}-{token.hex[:10]}", WINDOW_START + minute)

    def run(self, name: str) -> str:
        return f"{self.tag}-{name}"

    def at(self, minute: int) -> datetime:
        return self.base + timedelta(minutes=minute)

    def local(self, run_id: str) -> str:
        """A run id with this scenario's tag replaced, comparable across runs."""
        return run_id.replace(self.tag, "TAG")

    def offset(self, value: datetime | None) -> str | None:
        """A date as minutes from this scenario's window, comparable."""
        if value is None:
            return None
        minutes, rest = divmod(value - self.base, timedelta(minutes=1))
        if not rest and abs(minutes) < 1000:
            return f"base{minutes:+d}m"
        return value.isoformat()

    def pages(self, *, state: DagRunState | None = None) -> list[str]:
        return [self.run(f"page-{p.name}") for p in PAGE_RUNS if state in (None, p.state)]


@dataclass(frozen=True)
class Sent:
    method: str
    path: str  # as sent: percent-encoded, after any dot-segment normalization
    query: str
    body: bytes


class Recorder:
    """Every request a client sends, through httpx event hooks (sync and async)."""

    def __init__(self) -> None:
        self._sent: list[Sent] = []

    def hook(self, request: httpx.Request) -> None:
        path, _, query = request.url.raw_path.decode("ascii").partition("?")
        self._sent.append(Sent(request.method, path, query, request.content))

    async def async_hook(self, request: httpx.Request) -> None:
        self.hook(request)

    def take(self) -> list[Sent]:
        """What was sent since the last take."""
        sent, self._sent = self._sent, []
        return sent


@dataclass
class Outcome:
    """What one scenario run saw: normalized results by step, and the steps that failed."""

    label: str
    results: dict[str, Any] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Record a failure of this step and go on with the next one."""
        try:
            yield
        except (Exception, pytest.fail.Exception) as exc:
            lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if _here(f)]
            where = f" (line {lines[-1]})" if lines else ""
            message = " ".join(str(exc).split())
            self.failures[name] = f"{type(exc).__name__}{where}: {message}"

    def report(self) -> str:
        return f"{self.label}: {len(self.failures)} failed step(s):\n" + "\n".join(
            f"  - {name}: {failure}" for name, failure in self.failures.items()
        )


def _here(frame: traceback.FrameSummary) -> bool:
    return Path(frame.filename).name == THIS_FILE


# -- checks shared by the sync scenario and its async twin ---------------------------------


def state_name(state: DagRunState | str | None) -> str | None:
    return state.value if isinstance(state, DagRunState) else state


def check_run(run: DagRun, server: Server) -> None:
    """What every run the facade returns must look like on this server."""
    assert run.api == server.api
    assert run.server == server.base_url
    for name, value in run.to_dict().items():
        date = getattr(run, name)
        if isinstance(date, datetime):
            assert date.utcoffset() is not None, f"{name} is naive: {value}"
    if server.api == "v1":  # fields Airflow 2 does not have are None, not missing
        assert [getattr(run, name) for name in V1_LACKS] == [None] * len(V1_LACKS)


def normal(run: DagRun, ids: Ids, *, state: bool = True) -> dict[str, Any]:
    """`to_dict()` without what legitimately differs, ids and dates made comparable."""
    data = {k: v for k, v in run.to_dict().items() if k not in DIFFERING}
    data["run_id"] = ids.local(run.run_id)
    for name in RUN_DATES:
        data[name] = ids.offset(getattr(run, name))
    if not state:
        del data["state"]
    return data


def expect_full(
    run: DagRun, server: Server, ids: Ids, interval: tuple[datetime, datetime] | None
) -> dict[str, Any]:
    """The run triggered with every option (the server supports) reports each of them back."""
    check_run(run, server)
    assert (run.dag_id, run.run_id) == (PLAIN, ids.run("full"))
    assert run.state is DagRunState.QUEUED
    assert run.run_type is RunType.MANUAL
    assert run.logical_date == ids.at(FULL_MINUTE)
    if interval is not None:
        assert (run.data_interval_start, run.data_interval_end) == interval
    assert run.conf == CONF
    assert run.note == "made by the facade scenario"
    return normal(run, ids)


def full_interval(ids: Ids) -> tuple[datetime, datetime]:
    return ids.at(FULL_MINUTE - 1), ids.at(FULL_MINUTE)


def expect_bare(run: DagRun, server: Server) -> dict[str, Any]:
    """A run triggered with nothing but the DAG id: the server names and dates it."""
    check_run(run, server)
    assert run.run_id.startswith("manual__"), run.run_id
    assert (run.state, run.run_type) == (DagRunState.QUEUED, RunType.MANUAL)
    assert (run.conf, run.note) == ({}, None)
    # Airflow 2 dates it now; Airflow 3 leaves it undated (logical_date None): both fine.
    return {"run_id": run.run_id.split("__")[0], "state": "queued", "run_type": "manual"}


def expect_finished(run: DagRun, server: Server, ids: Ids, state: DagRunState) -> dict[str, Any]:
    check_run(run, server)
    assert run.is_finished
    assert run.state is state
    assert run.start_date is not None
    assert run.end_date is not None
    assert run.duration is not None
    assert run.duration >= timedelta(0)
    return normal(run, ids)


def expect_wait_timeout(exc: WaitTimeout, ids: Ids) -> dict[str, Any]:
    assert isinstance(exc, TimeoutError)
    last = exc.last
    assert isinstance(last, DagRun)
    assert last.run_id == ids.run("stuck")
    assert not last.is_finished
    return {"raised": "WaitTimeout", "last": ids.local(last.run_id), "finished": False}


def page_confs(ids: Ids) -> dict[str, dict[str, int]]:
    """The conf each page run was triggered with."""
    return {ids.run(f"page-{p.name}"): {"k": k} for k, p in enumerate(PAGE_RUNS)}


def pages_sent(sent: list[Sent]) -> list[tuple[int, int]]:
    """(offset, limit) of each list request: the GET list or the batch POST."""
    pages = []
    for request in sent:
        if request.method == "GET" and request.path.endswith("/dagRuns"):
            query = parse_qs(request.query)
            pages.append((int(query["offset"][0]), int(query["limit"][0])))
        elif request.method == "POST" and request.path.endswith("/dagRuns/list"):
            body = json.loads(request.body)
            pages.append((int(body["page_offset"]), int(body["page_limit"])))
    return pages


def expect_listing(
    ids: Ids, seen: list[str], sent: list[Sent], expected: list[str], pages: list[tuple[int, int]]
) -> list[str]:
    """Each expected run seen exactly once, fetched with exactly these pages."""
    assert len(seen) == len(set(seen)), f"duplicates: {seen}"
    assert sorted(seen) == sorted(expected)
    assert pages_sent(sent) == pages
    return [ids.local(run_id) for run_id in seen]


def expect_clear_dry(result: ClearResult, ids: Ids) -> dict[str, Any]:
    assert result.dry_run is True
    assert result.dag_run is None
    refs = {(ti.dag_id, ti.run_id) for ti in result.task_instances}
    assert refs == {(PLAIN, ids.run("full"))}
    tasks = sorted(ti.task_id for ti in result.task_instances)
    assert tasks == ["first", "second"]
    return {"dry_run": True, "tasks": tasks, "dag_run": None}


def expect_clear_real(result: ClearResult, server: Server, ids: Ids) -> dict[str, Any]:
    assert result.dry_run is False
    assert result.dag_run is not None
    check_run(result.dag_run, server)
    assert result.dag_run.run_id == ids.run("full")
    assert result.dag_run.state is DagRunState.QUEUED  # cleared: to be run again
    return {"dry_run": False, "dag_run": normal(result.dag_run, ids)}


def expect_event(
    consumer: DagRun, events: list[AssetEvent], server: Server, ids: Ids
) -> dict[str, Any]:
    """The consumer run lists the producer's event among its upstream events."""
    check_run(consumer, server)
    assert consumer.dag_id == CONSUMER
    assert consumer.run_type is RunType.ASSET_TRIGGERED
    mine = [event for event in events if event.source_run_id == ids.run("producer")]
    assert len(mine) == 1, events
    event = mine[0]
    assert event.uri == DATASET_URI
    assert (event.source_dag_id, event.source_task_id) == (PRODUCER, "produce")
    assert event.timestamp.utcoffset() is not None
    created = [(ref.dag_id, ref.run_id) for ref in event.created_dag_runs]
    assert (CONSUMER, consumer.run_id) in created
    return {
        "uri": event.uri,
        "source": [event.source_dag_id, event.source_task_id, ids.local(event.source_run_id or "")],
        "consumer": [consumer.dag_id, str(consumer.run_type)],
    }


def expect_path(sent: list[Sent], server: Server, dag_id: str, run_id: str) -> None:
    """One request, to the run's own endpoint: each id whole, inside its own path segment."""
    assert len(sent) == 1, sent
    segments = [unquote(part) for part in sent[0].path.split("/")]
    expected = ["", "api", server.api, "dags", dag_id, "dagRuns", run_id]
    assert segments == expected, f"{dag_id!r}, {run_id!r} went to {sent[0].path}"


def closed_port() -> int:
    """A loopback port nothing listens on (just released by the OS)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def raised(call: Call, runs: Any, ids: Ids) -> str:
    """The name of what `call` raised, or "nothing raised"."""
    try:
        call(runs, ids)
    except (AirflowBridgeError, ValueError, TypeError) as exc:
        return type(exc).__name__
    return "nothing raised"


async def raised_async(call: Call, runs: Any, ids: Ids) -> str:
    try:
        await cast("Awaitable[object]", call(runs, ids))
    except (AirflowBridgeError, ValueError, TypeError) as exc:
        return type(exc).__name__
    return "nothing raised"


def client_options(server: Server, kind: str, port: int) -> dict[str, Any]:
    """Constructor arguments of the client each ERROR_CALLS row uses (not "admin")."""
    closed = f"http://127.0.0.1:{port}"
    return {
        "viewer": {
            "base_url": server.base_url,
            "username": server.viewer_username,
            "password": server.viewer_password,
        },
        "wrong password": {
            "base_url": server.base_url,
            "username": server.username,
            "password": "wrong",
        },
        "no credentials": {"base_url": server.base_url},
        "invalid token": {"base_url": server.base_url, "token": "not-a-valid-token"},
        "closed port": {"base_url": closed, "username": "a", "password": "b"},
        "closed port, api given": {"base_url": closed, "token": "t", "api": server.api},
    }[kind]


OTHER_CLIENTS = tuple(dict.fromkeys(kind for _, kind, _, _ in ERROR_CALLS if kind != "admin"))


# Ids that must stay inside their path segment: none may reach another endpoint. Only get()
# is used with them: a delete() that escaped its segment could delete the DAG itself.
TRAVERSALS = ("../../dags", "..", ".", "../..", f"../{PLAIN}", "%2E%2E", "a/../..")


# -- the scenario, synchronous -----------------------------------------------------------


def run_scenario(server: Server) -> Outcome:
    ids, out, sent = Ids.new("sync"), Outcome(f"{server.version} sync"), Recorder()
    created: list[tuple[str, str]] = []
    http = httpx.Client(timeout=30.0, event_hooks={"request": [sent.hook]})
    client = Client(
        server.base_url, username=server.username, password=server.password, http_client=http
    )
    try:
        scenario(client, server, ids, sent, out, created)
    finally:
        with out.step("cleanup"):
            for dag_id, run_id in reversed(created):
                remove(client, dag_id, run_id)
        http.close()
    return out


def remove(client: Client, dag_id: str, run_id: str, attempts: int = 5) -> None:
    """Delete a run if it exists, failing it first if it is unfinished: Airflow 3 refuses
    (409) to delete a running run, and the scheduler may start it again meanwhile."""
    for attempt in range(attempts):
        try:
            if not client.dag_runs.get(dag_id, run_id).is_finished:
                client.dag_runs.set_state(dag_id, run_id, DagRunState.FAILED)
            client.dag_runs.delete(dag_id, run_id)
            return
        except NotFound:
            return
        except Conflict:
            if attempt == attempts - 1:
                raise
            time.sleep(1.0)


def scenario(
    client: Client,
    server: Server,
    ids: Ids,
    sent: Recorder,
    out: Outcome,
    created: list[tuple[str, str]],
) -> None:
    runs, r = client.dag_runs, out.results
    full, producer, stuck = ids.run("full"), ids.run("producer"), ids.run("stuck")
    window: Window = {"logical_date_gte": ids.at(0), "logical_date_lte": ids.at(11)}

    with out.step("server is detected"):
        info = client.server
        assert (info.api, info.version, info.base_url) == (
            server.api,
            server.version,
            server.base_url,
        )

    with out.step("trigger the producer"):  # first: the scheduler works while the rest runs
        created.append((PRODUCER, producer))
        run = runs.trigger(PRODUCER, run_id=producer, logical_date=ids.at(PRODUCER_MINUTE))
        check_run(run, server)
        r["trigger the producer"] = normal(run, ids)

    with out.step("trigger with logical_date, conf, note and data_interval"):
        created.append((PLAIN, full))
        interval = full_interval(ids) if info.supports("data_interval") else None
        if interval is None:  # before Airflow 2.9: refused before sending
            with pytest.raises(UnsupportedOperation, match="data_interval"):
                runs.trigger(PLAIN, run_id=full, data_interval=full_interval(ids))
        run = runs.trigger(
            PLAIN,
            run_id=full,
            logical_date=ids.at(FULL_MINUTE),
            conf=CONF,
            note="made by the facade scenario",
            data_interval=interval,
        )
        r["trigger with every option"] = expect_full(run, server, ids, interval)

    with out.step("get returns the triggered run"):
        run = runs.get(PLAIN, full)
        check_run(run, server)
        r["get"] = normal(run, ids, state=False)
        assert r["get"] == {k: v for k, v in r["trigger with every option"].items() if k != "state"}

    with out.step("trigger without run_id or logical_date"):
        run = runs.trigger(PLAIN)
        created.append((PLAIN, run.run_id))
        r["trigger bare"] = expect_bare(run, server)

    with out.step("wait raises WaitTimeout on a run that has not finished in time"):
        # A just-triggered run is still queued at the first poll, so timeout=0 must raise.
        # (A run dated in the future would never finish, but it keeps the Airflow 3
        # scheduler failing every loop, and the SQLite lock waits that follow break the
        # requests after it.)
        created.append((PLAIN, stuck))
        runs.trigger(PLAIN, run_id=stuck, logical_date=ids.at(STUCK_MINUTE))
        with pytest.raises(WaitTimeout) as caught:
            runs.wait(PLAIN, stuck, timeout=0, interval=0.25)
        r["wait timeout"] = expect_wait_timeout(caught.value, ids)

    with out.step("trigger 12 runs and set their states (enum and string)"):
        for k, page in enumerate(PAGE_RUNS):
            created.append((PLAIN, ids.run(f"page-{page.name}")))
            runs.trigger(
                PLAIN,
                run_id=ids.run(f"page-{page.name}"),
                logical_date=ids.at(page.minute),
                conf={"k": k},
            )
        # Only finished runs are changed: a run the scheduler is starting can lose the change.
        for page in PAGE_RUNS:
            done = runs.wait(PLAIN, ids.run(f"page-{page.name}"), timeout=WAIT_TIMEOUT)
            assert done.state is DagRunState.SUCCESS
        states = []
        for k, page in enumerate(PAGE_RUNS):
            if page.state is DagRunState.FAILED:
                target = DagRunState.FAILED if k % 4 == 1 else "failed"
                run = runs.set_state(PLAIN, ids.run(f"page-{page.name}"), target)
                check_run(run, server)
                states.append(run.state)
        assert states == [DagRunState.FAILED] * 6
        r["set_state on 6 of them"] = [state_name(state) for state in states]

    with out.step("iter walks three pages of 5, each run once"):
        sent.take()
        listed = list(runs.iter(PLAIN, page_size=5, **window))
        seen = [run.run_id for run in listed]
        r["iter pages"] = sorted(
            expect_listing(ids, seen, sent.take(), ids.pages(), [(0, 5), (5, 5), (10, 5)])
        )
        assert {run.run_id: run.conf for run in listed} == page_confs(ids)

    with out.step("list stops at limit, ordered by run_id"):
        sent.take()
        seen = [
            run.run_id
            for run in runs.list(PLAIN, limit=7, page_size=5, order_by="run_id", **window)
        ]
        assert seen == sorted(ids.pages())[:7]  # the first 7 by run_id, in order
        r["list limit"] = expect_listing(ids, seen, sent.take(), seen, [(0, 5), (5, 2)])

    with out.step("list orders by -logical_date and by run_id"):
        by_date = [run.run_id for run in runs.list(PLAIN, order_by="-logical_date", **window)]
        by_id = [run.run_id for run in runs.list(PLAIN, order_by="run_id", **window)]
        expected_by_date = [
            ids.run(f"page-{p.name}") for p in sorted(PAGE_RUNS, key=lambda p: -p.minute)
        ]
        assert by_date == expected_by_date
        assert by_id == sorted(ids.pages())
        assert len({tuple(by_date), tuple(by_id), tuple(ids.pages())}) == 3
        r["list order_by"] = [[ids.local(i) for i in by_date], [ids.local(i) for i in by_id]]

    with out.step("list filters by states"):
        failed = [run.run_id for run in runs.list(PLAIN, states=["failed"], **window)]
        succeeded = [run.run_id for run in runs.list(PLAIN, states=DagRunState.SUCCESS, **window)]
        both = runs.list(PLAIN, states=[DagRunState.SUCCESS, "failed"], **window)
        assert sorted(failed) == sorted(ids.pages(state=DagRunState.FAILED))
        assert sorted(succeeded) == sorted(ids.pages(state=DagRunState.SUCCESS))
        assert len(both) == 12
        r["list states"] = [sorted(ids.local(i) for i in failed), len(succeeded), len(both)]

    with out.step("list filters by a logical_date range"):
        seen = [
            run.run_id
            for run in runs.list(PLAIN, logical_date_gte=ids.at(3), logical_date_lte=ids.at(8))
        ]
        expected = [ids.run(f"page-{p.name}") for p in PAGE_RUNS if 3 <= p.minute <= 8]
        assert sorted(seen) == sorted(expected)
        r["list date range"] = sorted(ids.local(i) for i in seen)

    with out.step("count matches the listing"):
        counts = [
            runs.count(PLAIN, **window),
            runs.count(PLAIN, states="failed", **window),
            runs.count(PLAIN, logical_date_gte=ids.at(3), logical_date_lte=ids.at(8)),
        ]
        assert counts == [12, 6, 6]
        assert runs.count(PLAIN) >= 15  # ours alone: 12 pages, full, bare, stuck
        assert runs.count() >= runs.count(PLAIN)
        r["count"] = counts

    with out.step("dag_ids lists two DAGs at once, in pages"):
        wide: Window = {
            "logical_date_gte": ids.at(0),
            "logical_date_lte": ids.at(PRODUCER_MINUTE),
        }
        sent.take()
        pairs = [
            (run.dag_id, run.run_id)
            for run in runs.iter(dag_ids=[PLAIN, PRODUCER], page_size=5, **wide)
        ]
        expected_pairs = [(PLAIN, i) for i in [*ids.pages(), full]] + [(PRODUCER, producer)]
        assert sorted(pairs) == sorted(expected_pairs)
        assert pages_sent(sent.take()) == [(0, 5), (5, 5), (10, 5)]
        assert runs.count(dag_ids=[PLAIN, PRODUCER], **wide) == 14
        everywhere = sorted((run.dag_id, run.run_id) for run in runs.list("~", **wide))
        assert everywhere == sorted(expected_pairs)
        r["dag_ids"] = sorted(f"{dag_id}/{ids.local(run_id)}" for dag_id, run_id in pairs)

    with out.step("wait returns the finished run"):
        run = runs.wait(PLAIN, full, timeout=WAIT_TIMEOUT, interval=1.0)
        r["wait"] = expect_finished(run, server, ids, DagRunState.SUCCESS)

    with out.step("clear, dry run, reports the task instances and changes nothing"):
        r["clear dry"] = expect_clear_dry(runs.clear(PLAIN, full), ids)
        assert runs.get(PLAIN, full).state is DagRunState.SUCCESS

    with out.step("clear for real queues the run again, and it reruns"):
        r["clear"] = expect_clear_real(runs.clear(PLAIN, full, dry_run=False), server, ids)
        rerun = runs.wait(PLAIN, full, timeout=WAIT_TIMEOUT, interval=1.0)
        r["rerun"] = expect_finished(rerun, server, ids, DagRunState.SUCCESS)

    with out.step("set_state sets failed, success and queued"):
        states = [
            runs.set_state(PLAIN, full, DagRunState.FAILED).state,
            runs.set_state(PLAIN, full, "success").state,
            runs.set_state(PLAIN, stuck, "failed").state,
            runs.set_state(PLAIN, stuck, DagRunState.QUEUED).state,
        ]
        assert states == [
            DagRunState.FAILED,
            DagRunState.SUCCESS,
            DagRunState.FAILED,
            DagRunState.QUEUED,
        ]
        assert runs.get(PLAIN, full).state is DagRunState.SUCCESS
        r["set_state"] = [state_name(state) for state in states]

    with out.step("update sets state and note together"):
        run = runs.update(PLAIN, full, state="failed", note="updated")
        assert (run.state, run.note) == (DagRunState.FAILED, "updated")
        again = runs.get(PLAIN, full)
        assert (again.state, again.note) == (DagRunState.FAILED, "updated")
        r["update"] = normal(run, ids)

    with out.step("set_note changes the note only"):
        run = runs.set_note(PLAIN, full, "noted")
        assert (run.state, run.note) == (DagRunState.FAILED, "noted")
        r["set_note"] = normal(run, ids)

    with out.step("get shows every change"):
        run = runs.get(PLAIN, full)
        check_run(run, server)
        r["get at the end"] = normal(run, ids)
        assert r["get at the end"] == {
            **r["trigger with every option"],
            "state": "failed",
            "note": "noted",
        }

    with out.step("a manual run has no upstream events"):
        assert runs.upstream_events(PLAIN, full) == []
        r["upstream_events, manual run"] = []

    with out.step("delete removes the run"):
        bare = next(run_id for _, run_id in created if run_id.startswith("manual__"))
        runs.wait(PLAIN, bare, timeout=WAIT_TIMEOUT)  # Airflow 3 refuses to delete running runs
        runs.delete(PLAIN, bare)
        with pytest.raises(NotFound):
            runs.get(PLAIN, bare)
        with pytest.raises(NotFound):
            runs.delete(PLAIN, bare)
        r["delete"] = "NotFound after delete"

    with out.step("errors are the same typed errors on both generations"):
        errors = {}
        for name, kind, call, _ in ERROR_CALLS:
            if kind == "admin":
                errors[name] = raised(call, runs, ids)
        port = closed_port()
        for kind in OTHER_CLIENTS:
            with Client(**client_options(server, kind, port)) as other:
                for name, of_kind, call, _ in ERROR_CALLS:
                    if of_kind == kind:
                        errors[name] = raised(call, other.dag_runs, ids)
        r["errors"] = errors
        assert errors == EXPECTED_ERRORS
        assert runs.get(PLAIN, full).state is DagRunState.FAILED  # refused calls changed nothing

    with out.step("naive datetimes and empty updates are refused before any request"):
        created.append((PLAIN, ids.run("naive")))  # in case one is not refused
        sent.take()
        local = {name: raised(call, runs, ids) for name, call in LOCAL_ERROR_CALLS}
        r["local errors"] = local
        assert local == EXPECTED_LOCAL_ERRORS
        assert sent.take() == []

    with out.step("a filter the server lacks is UnsupportedOperation, before any request"):
        sent.take()
        if client.server.supports("run_types"):  # Airflow 3; Airflow 2 has no such filter
            assert runs.count(PLAIN, run_types=RunType.MANUAL, **window) == 12
        else:
            with pytest.raises(UnsupportedOperation):
                runs.count(PLAIN, run_types=RunType.MANUAL, **window)
            assert sent.take() == []

    with out.step("run ids with ':', '+', '.', '~' round-trip"):
        odd = f"{ids.tag}:a+b.c~d_e"
        created.append((PLAIN, odd))
        run = runs.trigger(PLAIN, run_id=odd, logical_date=ids.at(ODD_ID_MINUTE))
        assert run.run_id == odd
        sent.take()
        assert runs.get(PLAIN, odd).run_id == odd
        expect_path(sent.take(), server, PLAIN, odd)
        assert runs.set_note(PLAIN, odd, "odd").note == "odd"
        minute: Window = {
            "logical_date_gte": ids.at(ODD_ID_MINUTE),
            "logical_date_lte": ids.at(ODD_ID_MINUTE),
        }
        assert [run.run_id for run in runs.list(PLAIN, **minute)] == [odd]
        r["odd run id"] = ids.local(odd)

    with out.step("run ids with '..' or '/' are created or refused, never misrouted"):
        outcomes: dict[str, str] = {}
        for name in ("dots..id", "slash/id"):
            run_id = f"{ids.tag}-{name}"
            created.append((PLAIN, run_id))
            try:
                run = runs.trigger(PLAIN, run_id=run_id, logical_date=ids.at(20 + len(outcomes)))
            except (BadRequest, ServerError):  # Airflow 2.10 refuses '/' with a 500
                outcomes[name] = "refused"
                with pytest.raises(NotFound):
                    runs.get(PLAIN, run_id)
            else:
                outcomes[name] = "created"
                assert run.run_id == run_id
                sent.take()
                assert runs.get(PLAIN, run_id).run_id == run_id
                expect_path(sent.take(), server, PLAIN, run_id)
        # Airflow 2 accepts '..' in a run id, Airflow 3 refuses it; neither accepts '/'.
        assert outcomes["slash/id"] == "refused"
        r["slash in run id"] = outcomes["slash/id"]

    for run_id in TRAVERSALS:
        with out.step(f"get({PLAIN!r}, {run_id!r}) is NotFound, on the run's own endpoint"):
            sent.take()
            with pytest.raises(NotFound):
                runs.get(PLAIN, run_id)
            expect_path(sent.take(), server, PLAIN, run_id)
            r[f"traversal {run_id}"] = "NotFound"

    with out.step("a dag_id of '..' stays inside its segment"):
        sent.take()
        with pytest.raises(NotFound):
            runs.get("..", "dags")
        expect_path(sent.take(), server, "..", "dags")

    with out.step("the producer's event triggers the consumer, listed as its upstream event"):
        produced = runs.wait(PRODUCER, producer, timeout=WAIT_TIMEOUT, interval=1.0)
        r["producer"] = expect_finished(produced, server, ids, DagRunState.SUCCESS)
        consumer, events = find_consumer(client, producer)
        r["upstream_events"] = expect_event(consumer, events, server, ids)
        done = runs.wait(CONSUMER, consumer.run_id, timeout=WAIT_TIMEOUT, interval=1.0)
        assert done.is_finished
        assert runs.upstream_events(CONSUMER, consumer.run_id) == events


def find_consumer(client: Client, producer: str) -> tuple[DagRun, list[AssetEvent]]:
    """The consumer run whose upstream events include the producer run's event."""
    deadline, checked = time.monotonic() + WAIT_TIMEOUT, set()
    while True:
        for run in client.dag_runs.list(CONSUMER, order_by="-id", limit=20):
            if run.run_id not in checked:
                events = client.dag_runs.upstream_events(CONSUMER, run.run_id)
                if any(event.source_run_id == producer for event in events):
                    return run, events
                checked.add(run.run_id)  # a run's upstream events never change
        assert time.monotonic() < deadline, f"no {CONSUMER} run was triggered by {producer}"
        time.sleep(1.0)


# -- the same scenario, awaited ----------------------------------------------------------


async def run_scenario_async(server: Server) -> Outcome:
    ids, out, sent = Ids.new("async"), Outcome(f"{server.version} async"), Recorder()
    created: list[tuple[str, str]] = []
    async with httpx.AsyncClient(timeout=30.0, event_hooks={"request": [sent.async_hook]}) as http:
        client = AsyncClient(
            server.base_url, username=server.username, password=server.password, http_client=http
        )
        try:
            await scenario_async(client, server, ids, sent, out, created)
        finally:
            with out.step("cleanup"):
                for dag_id, run_id in reversed(created):
                    await remove_async(client, dag_id, run_id)
    return out


async def remove_async(client: AsyncClient, dag_id: str, run_id: str, attempts: int = 5) -> None:
    for attempt in range(attempts):
        try:
            if not (await client.dag_runs.get(dag_id, run_id)).is_finished:
                await client.dag_runs.set_state(dag_id, run_id, DagRunState.FAILED)
            await client.dag_runs.delete(dag_id, run_id)
            return
        except NotFound:
            return
        except Conflict:
            if attempt == attempts - 1:
                raise
            await anyio.sleep(1.0)


async def scenario_async(
    client: AsyncClient,
    server: Server,
    ids: Ids,
    sent: Recorder,
    out: Outcome,
    created: list[tuple[str, str]],
) -> None:
    runs, r = client.dag_runs, out.results
    full, producer, stuck = ids.run("full"), ids.run("producer"), ids.run("stuck")
    window: Window = {"logical_date_gte": ids.at(0), "logical_date_lte": ids.at(11)}

    with out.step("server is detected"):
        info = await client.server_info()
        assert (info.api, info.version, info.base_url) == (
            server.api,
            server.version,
            server.base_url,
        )

    with out.step("trigger the producer"):
        created.append((PRODUCER, producer))
        run = await runs.trigger(PRODUCER, run_id=producer, logical_date=ids.at(PRODUCER_MINUTE))
        check_run(run, server)
        r["trigger the producer"] = normal(run, ids)

    with out.step("trigger with logical_date, conf, note and data_interval"):
        created.append((PLAIN, full))
        interval = full_interval(ids) if info.supports("data_interval") else None
        if interval is None:  # before Airflow 2.9: refused before sending
            with pytest.raises(UnsupportedOperation, match="data_interval"):
                await runs.trigger(PLAIN, run_id=full, data_interval=full_interval(ids))
        run = await runs.trigger(
            PLAIN,
            run_id=full,
            logical_date=ids.at(FULL_MINUTE),
            conf=CONF,
            note="made by the facade scenario",
            data_interval=interval,
        )
        r["trigger with every option"] = expect_full(run, server, ids, interval)

    with out.step("get returns the triggered run"):
        run = await runs.get(PLAIN, full)
        check_run(run, server)
        r["get"] = normal(run, ids, state=False)
        assert r["get"] == {k: v for k, v in r["trigger with every option"].items() if k != "state"}

    with out.step("trigger without run_id or logical_date"):
        run = await runs.trigger(PLAIN)
        created.append((PLAIN, run.run_id))
        r["trigger bare"] = expect_bare(run, server)

    with out.step("wait raises WaitTimeout on a run that has not finished in time"):
        # A just-triggered run is still queued at the first poll, so timeout=0 must raise.
        # (A run dated in the future would never finish, but it keeps the Airflow 3
        # scheduler failing every loop, and the SQLite lock waits that follow break the
        # requests after it.)
        created.append((PLAIN, stuck))
        await runs.trigger(PLAIN, run_id=stuck, logical_date=ids.at(STUCK_MINUTE))
        with pytest.raises(WaitTimeout) as caught:
            await runs.wait(PLAIN, stuck, timeout=0, interval=0.25)
        r["wait timeout"] = expect_wait_timeout(caught.value, ids)

    with out.step("trigger 12 runs and set their states (enum and string)"):
        for k, page in enumerate(PAGE_RUNS):
            created.append((PLAIN, ids.run(f"page-{page.name}")))
            await runs.trigger(
                PLAIN,
                run_id=ids.run(f"page-{page.name}"),
                logical_date=ids.at(page.minute),
                conf={"k": k},
            )
        # Only finished runs are changed: a run the scheduler is starting can lose the change.
        for page in PAGE_RUNS:
            done = await runs.wait(PLAIN, ids.run(f"page-{page.name}"), timeout=WAIT_TIMEOUT)
            assert done.state is DagRunState.SUCCESS
        states = []
        for k, page in enumerate(PAGE_RUNS):
            if page.state is DagRunState.FAILED:
                target = DagRunState.FAILED if k % 4 == 1 else "failed"
                run = await runs.set_state(PLAIN, ids.run(f"page-{page.name}"), target)
                check_run(run, server)
                states.append(run.state)
        assert states == [DagRunState.FAILED] * 6
        r["set_state on 6 of them"] = [state_name(state) for state in states]

    with out.step("iter walks three pages of 5, each run once"):
        sent.take()
        listed = [run async for run in runs.iter(PLAIN, page_size=5, **window)]
        seen = [run.run_id for run in listed]
        r["iter pages"] = sorted(
            expect_listing(ids, seen, sent.take(), ids.pages(), [(0, 5), (5, 5), (10, 5)])
        )
        assert {run.run_id: run.conf for run in listed} == page_confs(ids)

    with out.step("list stops at limit, ordered by run_id"):
        sent.take()
        seen = [
            run.run_id
            for run in await runs.list(PLAIN, limit=7, page_size=5, order_by="run_id", **window)
        ]
        assert seen == sorted(ids.pages())[:7]  # the first 7 by run_id, in order
        r["list limit"] = expect_listing(ids, seen, sent.take(), seen, [(0, 5), (5, 2)])

    with out.step("list orders by -logical_date and by run_id"):
        by_date = [run.run_id for run in await runs.list(PLAIN, order_by="-logical_date", **window)]
        by_id = [run.run_id for run in await runs.list(PLAIN, order_by="run_id", **window)]
        expected_by_date = [
            ids.run(f"page-{p.name}") for p in sorted(PAGE_RUNS, key=lambda p: -p.minute)
        ]
        assert by_date == expected_by_date
        assert by_id == sorted(ids.pages())
        assert len({tuple(by_date), tuple(by_id), tuple(ids.pages())}) == 3
        r["list order_by"] = [[ids.local(i) for i in by_date], [ids.local(i) for i in by_id]]

    with out.step("list filters by states"):
        failed = [run.run_id for run in await runs.list(PLAIN, states=["failed"], **window)]
        succeeded = [
            run.run_id for run in await runs.list(PLAIN, states=DagRunState.SUCCESS, **window)
        ]
        both = await runs.list(PLAIN, states=[DagRunState.SUCCESS, "failed"], **window)
        assert sorted(failed) == sorted(ids.pages(state=DagRunState.FAILED))
        assert sorted(succeeded) == sorted(ids.pages(state=DagRunState.SUCCESS))
        assert len(both) == 12
        r["list states"] = [sorted(ids.local(i) for i in failed), len(succeeded), len(both)]

    with out.step("list filters by a logical_date range"):
        seen = [
            run.run_id
            for run in await runs.list(
                PLAIN, logical_date_gte=ids.at(3), logical_date_lte=ids.at(8)
            )
        ]
        expected = [ids.run(f"page-{p.name}") for p in PAGE_RUNS if 3 <= p.minute <= 8]
        assert sorted(seen) == sorted(expected)
        r["list date range"] = sorted(ids.local(i) for i in seen)

    with out.step("count matches the listing"):
        counts = [
            await runs.count(PLAIN, **window),
            await runs.count(PLAIN, states="failed", **window),
            await runs.count(PLAIN, logical_date_gte=ids.at(3), logical_date_lte=ids.at(8)),
        ]
        assert counts == [12, 6, 6]
        assert await runs.count(PLAIN) >= 15
        assert await runs.count() >= await runs.count(PLAIN)
        r["count"] = counts

    with out.step("dag_ids lists two DAGs at once, in pages"):
        wide: Window = {
            "logical_date_gte": ids.at(0),
            "logical_date_lte": ids.at(PRODUCER_MINUTE),
        }
        sent.take()
        pairs = [
            (run.dag_id, run.run_id)
            async for run in runs.iter(dag_ids=[PLAIN, PRODUCER], page_size=5, **wide)
        ]
        expected_pairs = [(PLAIN, i) for i in [*ids.pages(), full]] + [(PRODUCER, producer)]
        assert sorted(pairs) == sorted(expected_pairs)
        assert pages_sent(sent.take()) == [(0, 5), (5, 5), (10, 5)]
        assert await runs.count(dag_ids=[PLAIN, PRODUCER], **wide) == 14
        everywhere = sorted((run.dag_id, run.run_id) for run in await runs.list("~", **wide))
        assert everywhere == sorted(expected_pairs)
        r["dag_ids"] = sorted(f"{dag_id}/{ids.local(run_id)}" for dag_id, run_id in pairs)

    with out.step("wait returns the finished run"):
        run = await runs.wait(PLAIN, full, timeout=WAIT_TIMEOUT, interval=1.0)
        r["wait"] = expect_finished(run, server, ids, DagRunState.SUCCESS)

    with out.step("clear, dry run, reports the task instances and changes nothing"):
        r["clear dry"] = expect_clear_dry(await runs.clear(PLAIN, full), ids)
        assert (await runs.get(PLAIN, full)).state is DagRunState.SUCCESS

    with out.step("clear for real queues the run again, and it reruns"):
        r["clear"] = expect_clear_real(await runs.clear(PLAIN, full, dry_run=False), server, ids)
        rerun = await runs.wait(PLAIN, full, timeout=WAIT_TIMEOUT, interval=1.0)
        r["rerun"] = expect_finished(rerun, server, ids, DagRunState.SUCCESS)

    with out.step("set_state sets failed, success and queued"):
        states = [
            (await runs.set_state(PLAIN, full, DagRunState.FAILED)).state,
            (await runs.set_state(PLAIN, full, "success")).state,
            (await runs.set_state(PLAIN, stuck, "failed")).state,
            (await runs.set_state(PLAIN, stuck, DagRunState.QUEUED)).state,
        ]
        assert states == [
            DagRunState.FAILED,
            DagRunState.SUCCESS,
            DagRunState.FAILED,
            DagRunState.QUEUED,
        ]
        assert (await runs.get(PLAIN, full)).state is DagRunState.SUCCESS
        r["set_state"] = [state_name(state) for state in states]

    with out.step("update sets state and note together"):
        run = await runs.update(PLAIN, full, state="failed", note="updated")
        assert (run.state, run.note) == (DagRunState.FAILED, "updated")
        again = await runs.get(PLAIN, full)
        assert (again.state, again.note) == (DagRunState.FAILED, "updated")
        r["update"] = normal(run, ids)

    with out.step("set_note changes the note only"):
        run = await runs.set_note(PLAIN, full, "noted")
        assert (run.state, run.note) == (DagRunState.FAILED, "noted")
        r["set_note"] = normal(run, ids)

    with out.step("get shows every change"):
        run = await runs.get(PLAIN, full)
        check_run(run, server)
        r["get at the end"] = normal(run, ids)
        assert r["get at the end"] == {
            **r["trigger with every option"],
            "state": "failed",
            "note": "noted",
        }

    with out.step("a manual run has no upstream events"):
        assert await runs.upstream_events(PLAIN, full) == []
        r["upstream_events, manual run"] = []

    with out.step("delete removes the run"):
        bare = next(run_id for _, run_id in created if run_id.startswith("manual__"))
        await runs.wait(PLAIN, bare, timeout=WAIT_TIMEOUT)
        await runs.delete(PLAIN, bare)
        with pytest.raises(NotFound):
            await runs.get(PLAIN, bare)
        with pytest.raises(NotFound):
            await runs.delete(PLAIN, bare)
        r["delete"] = "NotFound after delete"

    with out.step("errors are the same typed errors on both generations"):
        errors = {}
        for name, kind, call, _ in ERROR_CALLS:
            if kind == "admin":
                errors[name] = await raised_async(call, runs, ids)
        port = closed_port()
        for kind in OTHER_CLIENTS:
            async with AsyncClient(**client_options(server, kind, port)) as other:
                for name, of_kind, call, _ in ERROR_CALLS:
                    if of_kind == kind:
                        errors[name] = await raised_async(call, other.dag_runs, ids)
        r["errors"] = errors
        assert errors == EXPECTED_ERRORS
        assert (await runs.get(PLAIN, full)).state is DagRunState.FAILED

    with out.step("naive datetimes and empty updates are refused before any request"):
        created.append((PLAIN, ids.run("naive")))
        sent.take()
        local = {name: await raised_async(call, runs, ids) for name, call in LOCAL_ERROR_CALLS}
        r["local errors"] = local
        assert local == EXPECTED_LOCAL_ERRORS
        assert sent.take() == []

    with out.step("a filter the server lacks is UnsupportedOperation, before any request"):
        sent.take()
        if (await client.server_info()).supports("run_types"):
            assert await runs.count(PLAIN, run_types=RunType.MANUAL, **window) == 12
        else:
            with pytest.raises(UnsupportedOperation):
                await runs.count(PLAIN, run_types=RunType.MANUAL, **window)
            assert sent.take() == []

    with out.step("run ids with ':', '+', '.', '~' round-trip"):
        odd = f"{ids.tag}:a+b.c~d_e"
        created.append((PLAIN, odd))
        run = await runs.trigger(PLAIN, run_id=odd, logical_date=ids.at(ODD_ID_MINUTE))
        assert run.run_id == odd
        sent.take()
        assert (await runs.get(PLAIN, odd)).run_id == odd
        expect_path(sent.take(), server, PLAIN, odd)
        assert (await runs.set_note(PLAIN, odd, "odd")).note == "odd"
        minute: Window = {
            "logical_date_gte": ids.at(ODD_ID_MINUTE),
            "logical_date_lte": ids.at(ODD_ID_MINUTE),
        }
        assert [run.run_id for run in await runs.list(PLAIN, **minute)] == [odd]
        r["odd run id"] = ids.local(odd)

    with out.step("run ids with '..' or '/' are created or refused, never misrouted"):
        outcomes: dict[str, str] = {}
        for name in ("dots..id", "slash/id"):
            run_id = f"{ids.tag}-{name}"
            created.append((PLAIN, run_id))
            try:
                run = await runs.trigger(
                    PLAIN, run_id=run_id, logical_date=ids.at(20 + len(outcomes))
                )
            except (BadRequest, ServerError):
                outcomes[name] = "refused"
                with pytest.raises(NotFound):
                    await runs.get(PLAIN, run_id)
            else:
                outcomes[name] = "created"
                assert run.run_id == run_id
                sent.take()
                assert (await runs.get(PLAIN, run_id)).run_id == run_id
                expect_path(sent.take(), server, PLAIN, run_id)
        assert outcomes["slash/id"] == "refused"
        r["slash in run id"] = outcomes["slash/id"]

    for run_id in TRAVERSALS:
        with out.step(f"get({PLAIN!r}, {run_id!r}) is NotFound, on the run's own endpoint"):
            sent.take()
            with pytest.raises(NotFound):
                await runs.get(PLAIN, run_id)
            expect_path(sent.take(), server, PLAIN, run_id)
            r[f"traversal {run_id}"] = "NotFound"

    with out.step("a dag_id of '..' stays inside its segment"):
        sent.take()
        with pytest.raises(NotFound):
            await runs.get("..", "dags")
        expect_path(sent.take(), server, "..", "dags")

    with out.step("the producer's event triggers the consumer, listed as its upstream event"):
        produced = await runs.wait(PRODUCER, producer, timeout=WAIT_TIMEOUT, interval=1.0)
        r["producer"] = expect_finished(produced, server, ids, DagRunState.SUCCESS)
        consumer, events = await find_consumer_async(client, producer)
        r["upstream_events"] = expect_event(consumer, events, server, ids)
        done = await runs.wait(CONSUMER, consumer.run_id, timeout=WAIT_TIMEOUT, interval=1.0)
        assert done.is_finished
        assert await runs.upstream_events(CONSUMER, consumer.run_id) == events


async def find_consumer_async(
    client: AsyncClient, producer: str
) -> tuple[DagRun, list[AssetEvent]]:
    deadline, checked = time.monotonic() + WAIT_TIMEOUT, set()
    while True:
        for run in await client.dag_runs.list(CONSUMER, order_by="-id", limit=20):
            if run.run_id not in checked:
                events = await client.dag_runs.upstream_events(CONSUMER, run.run_id)
                if any(event.source_run_id == producer for event in events):
                    return run, events
                checked.add(run.run_id)
        assert time.monotonic() < deadline, f"no {CONSUMER} run was triggered by {producer}"
        await anyio.sleep(1.0)


# -- the tests ---------------------------------------------------------------------------

# Each scenario run takes a while against live servers: the comparison reuses the outcomes
# of the per-server tests (and runs whichever of them did not run, e.g. under -k).
OUTCOMES: dict[tuple[str, str], Outcome] = {}


def sync_outcome(server: Server) -> Outcome:
    key = (server.version, "sync")
    if key not in OUTCOMES:
        OUTCOMES[key] = run_scenario(server)
    return OUTCOMES[key]


async def async_outcome(server: Server) -> Outcome:
    key = (server.version, "async")
    if key not in OUTCOMES:
        OUTCOMES[key] = await run_scenario_async(server)
    return OUTCOMES[key]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_sync_scenario_passes_every_step_on_each_server(live_server: dict[str, object]) -> None:
    """Every facade method and error type behaves as documented, called synchronously."""
    outcome = sync_outcome(Server.of(live_server))
    assert not outcome.failures, outcome.report()


@pytest.mark.anyio
async def test_async_twin_passes_every_step_on_each_server(live_server: dict[str, object]) -> None:
    """The same scenario, awaited on AsyncClient, behaves the same."""
    outcome = await async_outcome(Server.of(live_server))
    assert not outcome.failures, outcome.report()


def test_normalized_results_are_equal_on_both_servers_sync_and_async(
    live_servers: dict[str, dict[str, object]],
) -> None:
    """One scenario, four runs (Airflow 2 and 3, sync and async): equal normalized results."""
    servers = [Server.of(info) for info in live_servers.values()]
    if {server.api for server in servers} != {"v1", "v2"}:
        pytest.skip("needs one Airflow 2 and one Airflow 3 server (AIRFLOW_BRIDGE_TEST_VERSIONS)")
    outcomes = [sync_outcome(server) for server in servers]
    outcomes += [anyio.run(async_outcome, server) for server in servers]
    problems = differences(outcomes)
    assert not problems, "\n".join(problems)


def differences(outcomes: list[Outcome]) -> list[str]:
    """Each result that is not the same in every outcome, and each step that failed
    somewhere (its results could not be compared)."""
    problems = []
    for step in sorted({step for outcome in outcomes for step in outcome.results}):
        values = [o.results.get(step, "(no result: the step failed)") for o in outcomes]
        if any(value != values[0] for value in values):
            seen = "; ".join(
                f"{o.label} -> {value!r}" for o, value in zip(outcomes, values, strict=True)
            )
            problems.append(f"{step}: differs: {seen}")
    for outcome in outcomes:
        if outcome.failures:
            names = "; ".join(outcome.failures)
            problems.append(f"{outcome.label}: not compared, failed step(s): {names}")
    return problems
