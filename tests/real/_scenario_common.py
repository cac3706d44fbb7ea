"""What the live facade scenario shares between its two drivers: the data it creates, the
wrong calls it makes, the ids and date window of one run, the request recorder, the step
recorder, and the checks that turn a result into a normalized, comparable value.

Nothing here sends a request: the scenario itself (`_scenario_async.py`, and its generated
sync twin `_scenario_sync.py`) does, with AsyncClient or Client.
"""

from __future__ import annotations

import json
import socket
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta, timezone
from itertools import accumulate
from pathlib import Path
from typing import Any, NamedTuple, TypedDict
from urllib.parse import parse_qs, unquote

import httpx
import pytest

from airflow_bridge import AssetEvent, ClearResult, DagRun, DagRunState, RunType
from airflow_bridge.errors import WaitTimeout

UTC = timezone.utc
HERE = Path(__file__).resolve().parent
PLAIN, PRODUCER, CONSUMER = "bridge_plain", "bridge_producer", "bridge_consumer"
DATASET_URI = "bridge://datasets/one"
# After the DAGs' start_date (2024-01-01): a run dated earlier gets no task instances on
# either generation, so there would be nothing to clear. Windows start within ~9 months.
WINDOW_START = datetime(2024, 2, 1, tzinfo=UTC)
WINDOW_CHOICES = 400_000  # minutes
FULL_MINUTE, PRODUCER_MINUTE, ODD_ID_MINUTE, STUCK_MINUTE = 13, 14, 16, 18
CONF = {"source": "facade scenario", "numbers": [1, 2.5], "nested": {"none": None, "ok": True}}
WAIT_TIMEOUT = 240.0  # generous: Airflow 2's scheduler is slow under load
# Per generation, fields the other one lacks (v1 reports them as None), and values that are
# the server's own (timestamps, ids of internal objects): left out of the comparison.
V1_LACKS = ("run_after", "triggered_by", "triggering_user", "dag_display_name", "bundle_version")
DIFFERING = frozenset(
    {"api", "server", "extra", "queued_at", "start_date", "end_date", "last_scheduling_decision"}
).union(V1_LACKS)
RUN_DATES = ("logical_date", "data_interval_start", "data_interval_end")
NAIVE = datetime(2024, 6, 1)  # no tzinfo: refused
# Ids that must stay inside their path segment: none may reach another endpoint. Only get()
# is used with them: a delete() that escaped its segment could delete the DAG itself. Ids
# with "/" are refused before sending (the servers decode %2F before routing): see
# tests/real/test_hostile_ids_real.py.
TRAVERSALS = ("..", ".", "%2E%2E", "..%2F..", "%2F")


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

# (dag_runs, ids) -> a result (Client) or its awaitable (AsyncClient): both take the same
# arguments, so one table serves both drivers. `r` is the client's dag_runs, `i` the Ids.
Call = Callable[[Any, "Ids"], Any]


def _count(r: Any, i: Ids) -> Any:
    return r.count(PLAIN)


# Wrong calls: (the client that makes them, the error they raise on both generations) ->
# {name: call}. The clients other than "admin" are made by `client_options`.
ERROR_CALLS: dict[tuple[str, str], dict[str, Call]] = {
    ("admin", "NotFound"): {
        "get, unknown DAG": lambda r, i: r.get(i.run("no-dag"), "r"),
        "list, unknown DAG": lambda r, i: r.list(i.run("no-dag")),
        "count, unknown DAG": lambda r, i: r.count(i.run("no-dag")),
        "trigger, unknown DAG": lambda r, i: r.trigger(i.run("no-dag")),
        "get, unknown run": lambda r, i: r.get(PLAIN, i.run("none")),
        "set_state, unknown run": lambda r, i: r.set_state(PLAIN, i.run("none"), "failed"),
        "set_note, unknown run": lambda r, i: r.set_note(PLAIN, i.run("none"), "x"),
        "clear, unknown run": lambda r, i: r.clear(PLAIN, i.run("none")),
        "delete, unknown run": lambda r, i: r.delete(PLAIN, i.run("none")),
        "upstream_events, unknown run": lambda r, i: r.upstream_events(PLAIN, i.run("none")),
    },
    ("admin", "Conflict"): {
        "trigger, duplicate run_id": lambda r, i: r.trigger(PLAIN, run_id=i.run("full")),
    },
    ("viewer", "PermissionDenied"): {
        "viewer triggers": lambda r, i: r.trigger(PLAIN, run_id=i.run("viewer")),
        "viewer sets state": lambda r, i: r.set_state(PLAIN, i.run("full"), "success"),
        "viewer clears": lambda r, i: r.clear(PLAIN, i.run("full")),
    },
    ("wrong password", "AuthenticationError"): {"wrong password": _count},
    ("no credentials", "AuthenticationError"): {"no credentials": _count},
    ("invalid token", "AuthenticationError"): {"invalid token": _count},
    ("closed port", "TransportError"): {"closed port": _count},
    ("closed port, api given", "TransportError"): {
        "closed port, api given": lambda r, i: r.get(PLAIN, i.run("full")),
    },
}
EXPECTED_ERRORS = {name: error for (_, error), calls in ERROR_CALLS.items() for name in calls}

# Calls the library itself refuses (InvalidArgument, a ValueError) without sending a request.
# A state to set that is not queued/success/failed is refused here too: since issue 9 the
# library knows the settable states (the servers' 400 was the same on both generations).
LOCAL_ERROR_CALLS: dict[str, Call] = {
    "trigger, naive logical_date": lambda r, i: r.trigger(
        PLAIN, run_id=i.run("naive"), logical_date=NAIVE
    ),
    "trigger, naive data_interval": lambda r, i: r.trigger(
        PLAIN, run_id=i.run("naive"), logical_date=i.at(30), data_interval=(NAIVE, NAIVE)
    ),
    "list, naive filter": lambda r, i: r.list(PLAIN, logical_date_gte=NAIVE),
    "count, naive filter": lambda r, i: r.count(PLAIN, end_date_lte=NAIVE),
    "update, nothing to set": lambda r, i: r.update(PLAIN, i.run("full")),
    "wait, interval 0": lambda r, i: r.wait(PLAIN, i.run("full"), interval=0),
    "set_state 'running'": lambda r, i: r.set_state(PLAIN, i.run("full"), "running"),
    "set_state DagRunState.RUNNING": lambda r, i: r.set_state(
        PLAIN, i.run("full"), DagRunState.RUNNING
    ),
    "set_state 'bogus'": lambda r, i: r.set_state(PLAIN, i.run("full"), "bogus"),
}
EXPECTED_LOCAL_ERRORS = dict.fromkeys(LOCAL_ERROR_CALLS, "InvalidArgument")


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
    def new(cls, driver: str) -> Ids:
        token = uuid.uuid4()
        minute = timedelta(minutes=token.int % WINDOW_CHOICES)
        return cls(f"facade-{driver.lower()}-{token.hex[:10]}", WINDOW_START + minute)

    def run(self, name: str) -> str:
        return f"{self.tag}-{name}"

    def at(self, minute: int) -> datetime:
        return self.base + timedelta(minutes=minute)

    def window(self, first: int, last: int) -> Window:
        return {"logical_date_gte": self.at(first), "logical_date_lte": self.at(last)}

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

    def page(self, run: PageRun) -> str:
        return self.run(f"page-{run.name}")

    def pages(self, *, state: DagRunState | None = None) -> list[str]:
        return [self.page(p) for p in PAGE_RUNS if state in (None, p.state)]


@dataclass(frozen=True)
class Sent:
    method: str
    path: str  # as sent: percent-encoded, after any dot-segment normalization
    query: str
    body: bytes

    @classmethod
    def of(cls, request: httpx.Request) -> Sent:
        path, _, query = request.url.raw_path.decode("ascii").partition("?")
        return cls(request.method, path, query, request.content)


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
            frames = traceback.extract_tb(exc.__traceback__)
            mine = [f for f in frames if Path(f.filename).resolve().parent == HERE]
            where = f" ({Path(mine[-1].filename).name}:{mine[-1].lineno})" if mine else ""
            message = " ".join(str(exc).split())
            self.failures[name] = f"{type(exc).__name__}{where}: {message}"

    def report(self) -> str:
        return f"{self.label}: {len(self.failures)} failed step(s):\n" + "\n".join(
            f"  - {name}: {failure}" for name, failure in self.failures.items()
        )


def client_options(server: Server, kind: str, port: int) -> dict[str, Any]:
    """Constructor arguments of the client an ERROR_CALLS row names (not "admin")."""
    closed = f"http://127.0.0.1:{port}"
    site = {"base_url": server.base_url}
    return {
        "viewer": {**site, "username": server.viewer_username, "password": server.viewer_password},
        "wrong password": {**site, "username": server.username, "password": "wrong"},
        "no credentials": site,
        "invalid token": {**site, "token": "not-a-valid-token"},
        "closed port": {"base_url": closed, "username": "a", "password": "b"},
        "closed port, api given": {"base_url": closed, "token": "t", "api": server.api},
    }[kind]


def closed_port() -> int:
    """A loopback port nothing listens on (just released by the OS)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- checks: what a result must be, and its normalized (comparable) form ------------------


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


def full_interval(ids: Ids) -> tuple[datetime, datetime]:
    return ids.at(FULL_MINUTE - 1), ids.at(FULL_MINUTE)


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
    return {ids.page(p): {"k": k} for k, p in enumerate(PAGE_RUNS)}


def pages_sent(sent: list[Sent]) -> list[int]:
    """The size (limit) of each list request, the GET list or the batch POST, after checking
    that each page goes on where the last ended: offset pages at the sum of the limits before
    them; keyset pages (Airflow 3.2.2+, GET only) with an empty cursor first, then each time
    a new one (the server's next_cursor)."""
    limits: list[int] = []
    offsets: list[int] = []
    cursors: list[str] = []
    for request in sent:
        if request.method == "GET" and request.path.endswith("/dagRuns"):
            query = parse_qs(request.query, keep_blank_values=True)
            limits.append(int(query["limit"][0]))
            if "cursor" in query:
                cursors.append(query["cursor"][0])
            else:
                offsets.append(int(query["offset"][0]))
        elif request.method == "POST" and request.path.endswith("/dagRuns/list"):
            body = json.loads(request.body)
            limits.append(int(body["page_limit"]))
            offsets.append(int(body["page_offset"]))
    assert not (offsets and cursors), f"offset and keyset pages mixed: {sent}"
    if cursors:
        assert cursors[0] == "", cursors
        assert all(cursors[1:]) and len(set(cursors)) == len(cursors), cursors
    else:
        assert offsets == [0, *accumulate(limits[:-1])], (offsets, limits)
    return limits


def expect_listing(
    ids: Ids, seen: list[str], sent: list[Sent], expected: list[str], pages: list[int]
) -> list[str]:
    """Each expected run seen exactly once, fetched with pages of exactly these sizes."""
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
