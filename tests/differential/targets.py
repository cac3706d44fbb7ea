"""The four targets (live Airflow 2.10.5 and 3.3.2, FakeAirflow of each) and the execution of
one sequence on one of them, through the public facade only, into a `Transcript`.

A fake follows a live server: before each state-dependent op it is moved (with
`FakeAirflow.advance`) to the state the live server's run was in, so fake and live are compared
on runs in the same state.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from airflow_bridge import Client, DagRunState, RunFilters, RunType
from airflow_bridge.errors import (
    AirflowBridgeError,
    BadRequest,
    Conflict,
    NotFound,
    TransportError,
    UnsupportedOperation,
)
from airflow_bridge.testing import FakeAirflow
from differential.compare import (
    SCHEDULED,
    TIMED_FIELDS,
    V1_LACKS,
    RunMemory,
    Step,
    Transcript,
    names_in,
)
from differential.ops import (
    CONFS,
    DAGS,
    NOTES,
    WINDOW_MINUTES,
    Context,
    Op,
)

STATE_DEPENDENT = frozenset({"delete", "clear", "upstream_events"})
ORDER = {"queued": 0, "running": 1, "success": 2}
RUN_TYPE_NAMES = {"dataset_triggered": "asset_triggered"}


@dataclass(frozen=True)
class Target:
    """Where a sequence runs: a live server (its server.json) or a fresh FakeAirflow."""

    name: str
    version: str
    live: Mapping[str, object] | None = None

    @property
    def api(self) -> str:
        return "v1" if self.version.startswith("2.") else "v2"


def execute(
    target: Target,
    sequence: list[Op],
    *,
    follow: Transcript | None = None,
) -> Transcript:
    """Run `sequence` on `target` and read everything back; delete what it created."""
    ctx = Context.new()
    fake: FakeAirflow | None = None
    if target.live is None:
        fake = FakeAirflow(target.version)
        client = Client(
            fake.base_url, username="admin", password="admin", transport=fake.transport()
        )
    else:
        info = target.live
        client = Client(
            str(info["base_url"]),
            username=str(info["username"]),
            password=str(info["password"]),
            timeout=30.0,
        )
    run = Execution(target, ctx, client, fake, follow)
    try:
        for index, o in enumerate(sequence):
            run.step(index, o)
        run.read_back(len(sequence))
    finally:
        if fake is None:
            run.cleanup()
        client.close()
    return run.transcript


class Execution:
    def __init__(
        self,
        target: Target,
        ctx: Context,
        client: Client,
        fake: FakeAirflow | None,
        follow: Transcript | None,
    ) -> None:
        self.target, self.ctx, self.client, self.fake = target, ctx, client, fake
        self.runs = client.dag_runs
        self.memory = RunMemory(ctx)
        self.follow = {s.index: s for s in follow.steps} if follow else {}
        self.transcript = Transcript(target.name)
        self.ids: dict[str, str] = {}  # handle -> run_id
        self.dags: dict[str, str] = {}  # handle -> dag_id
        self.tried: list[tuple[str, str]] = []  # (dag_id, run_id) it tried to create

    # -- one op --------------------------------------------------------------------------

    def step(self, index: int, o: Op) -> None:
        step = Step(index, repr(o), run=o.run)
        handle = o.run
        if handle is not None and handle not in self.ids:
            # a run the sequence never triggered: a plain id, or the shape the op names
            self.ids[handle] = self.ctx.run_id(handle, o.get("run_id", "plain")) or handle
            self.dags.setdefault(handle, DAGS["plain"])
        if o.kind in STATE_DEPENDENT or (o.kind in ("update", "set_state") and o.get("state")):
            self.before(index, o, step)
        try:
            step.value = self.call(o, step)
        except Exception as exc:  # every failure is an outcome to compare
            step.raised = type(exc).__name__
            step.message = " ".join(str(exc).split())[:300].replace(self.ctx.tag, "TAG")
            step.names = names_in(str(getattr(exc, "message", exc)))  # ApiError: not the URL
            if not isinstance(exc, AirflowBridgeError) and not names_argument(exc, o):
                step.oracle.append(
                    f"raised {step.raised} (not an AirflowBridgeError) whose message names "
                    f"no argument of the call: {exc}"
                )
            if o.kind in ("list", "count") and oracle_applies(o) and is_refusal(exc):
                step.oracle.append(f"refused a call whose every value is valid: {exc}")
            step.unanswered = step.unanswered or isinstance(exc, TransportError)
            if isinstance(exc, UnsupportedOperation):
                step.unsupported = unsupported_name(exc.operation)
        self.transcript.steps.append(step)

    def before(self, index: int, o: Op, step: Step) -> None:
        """Note the run's raw state; a fake first follows the live server's run."""
        handle = str(o.run)
        live = self.follow.get(index)
        if self.fake is not None and live is not None and live.pre in ORDER:
            self.follow_state(handle, live.pre)
        step.pre = self.raw_state(handle)
        step.unanswered = step.pre.startswith("get raised Transport")

    def raw_state(self, handle: str) -> str:
        try:
            state = self.runs.get(self.dags[handle], self.ids[handle]).state
        except NotFound:
            return "missing"
        except Exception as exc:
            return f"get raised {type(exc).__name__}"
        return str(getattr(state, "value", state))

    def follow_state(self, handle: str, wanted: str) -> None:
        assert self.fake is not None
        now = self.raw_state(handle)
        if now in ORDER and ORDER[now] < ORDER[wanted]:
            if now == "queued":
                self.fake.advance(self.ids[handle], "running", dag_id=self.dags[handle])
            if wanted == "success":
                self.fake.advance(self.ids[handle], "success", dag_id=self.dags[handle])

    def call(self, o: Op, step: Step) -> Any:
        kind, handle = o.kind, o.run
        if kind == "trigger":
            return self.trigger(o, step)
        if kind in ("list", "count"):
            return self.listing(o, step)
        assert handle is not None
        dag_id, run_id, m = self.dags[handle], self.ids[handle], self.memory
        if kind == "get":
            return m.run(self.runs.get(dag_id, run_id))
        if kind in ("update", "set_state", "set_note"):
            state = o.get("state")
            note = o.get("note")
            kwargs: dict[str, Any] = {}
            if state is not None:
                kwargs["state"] = self.ctx.state(state)
            if note is not None:
                kwargs["note"] = NOTES[note]
            try:
                run = self.runs.update(dag_id, run_id, **kwargs)
            except Exception:
                self.memory.explicit.pop(handle, None)  # it may have been half applied
                raise
            value = str(getattr(run.state, "value", run.state))
            if state is not None:
                if value in ("success", "failed"):
                    m.explicit[handle] = value
                else:
                    m.explicit.pop(handle, None)
            return m.run(run)
        if kind == "clear":
            return m.clear(self.runs.clear(dag_id, run_id, dry_run=True))
        if kind == "delete":
            self.runs.delete(dag_id, run_id)
            return "deleted"
        if kind == "upstream_events":
            return m.events(self.runs.upstream_events(dag_id, run_id))
        raise AssertionError(f"unknown op {kind}")

    def trigger(self, o: Op, step: Step) -> Any:
        handle = str(o.run)
        dag_id = DAGS[o.get("dag")]
        run_id = self.ctx.run_id(handle, o.get("run_id"))
        minute = o.get("minute")
        kwargs: dict[str, Any] = {"run_id": run_id, "logical_date": self.ctx.logical_date(minute)}
        if o.get("interval"):
            kwargs["data_interval"] = self.ctx.interval(o.get("interval"), minute)
        if o.get("conf") is not None:
            kwargs["conf"] = CONFS[o.get("conf")]
        if o.get("note") is not None:
            kwargs["note"] = NOTES[o.get("note")]
        self.ids[handle], self.dags[handle] = run_id or f"{handle}-unnamed", dag_id
        if run_id is not None:
            self.tried.append((dag_id, run_id))
            self.memory.handles[run_id] = handle
        if minute is None:
            self.memory.undated.add(handle)
        self.memory.explicit.pop(handle, None)
        run = self.runs.trigger(dag_id, **kwargs)
        if run_id is None:
            self.memory.server_named.add(handle)
            self.tried.append((dag_id, run.run_id))
        self.ids[handle] = run.run_id
        self.memory.handles[run.run_id] = handle
        conf = kwargs.get("conf")
        if conf is not None and not isinstance(conf, Mapping):
            step.oracle.append(f"accepted conf {conf!r} (not a mapping), stored as {run.conf!r}")
        elif conf is not None and run.conf != conf:
            step.oracle.append(f"conf {conf!r} came back as {run.conf!r}")
        return self.memory.run(run)

    # -- list and count, with the oracle -------------------------------------------------

    def listing(self, o: Op, step: Step) -> Any:
        dag_id, filters = self.ctx.filters(o)
        check = Oracle(o, filters, dag_id) if oracle_applies(o) else None
        before = self.runs.list("~", **self.window()) if check is not None else []
        if o.kind == "count":
            got: Any = self.runs.count(dag_id, **filters)
        else:
            got = self.runs.list(
                dag_id, limit=o.get("limit"), page_size=o.get("page_size", 100), **filters
            )
        certain, timed_order = certainty(o)
        if check is not None:
            after = self.runs.list("~", **self.window())
            step.oracle = check.judge(got, before, after, self.memory)
        if o.kind == "count":
            return {"count": got} if certain is None else {"count": "(not compared)"}
        members = [r for r in got if certain is None or certain(self.memory, r)]
        runs = [self.memory.run(r) for r in members]
        if timed_order or (certain is not None and o.get("limit") is not None):
            runs.sort(key=lambda r: str(r["run_id"]))
            if o.get("limit") is not None:
                return {"n": len(got) if certain is None else "(not compared)"}
        return {"runs": runs}

    def window(self) -> RunFilters:
        return {
            "logical_date_gte": self.ctx.at(0),
            "logical_date_lte": self.ctx.at(WINDOW_MINUTES - 1),
        }

    # -- the end: read back, clean up ----------------------------------------------------

    def read_back(self, index: int) -> None:
        """Every run the sequence named, by get; and the window, by list and count."""
        for handle in sorted(self.ids, key=lambda h: (len(h), h)):
            step = Step(index, f"read back {handle} (get)", run=handle)
            try:
                step.value = self.memory.run(self.runs.get(self.dags[handle], self.ids[handle]))
            except Exception as exc:
                step.raised = type(exc).__name__
                step.unanswered = isinstance(exc, TransportError)
            self.transcript.steps.append(step)
        step = Step(index, "read back the window (list, count)")
        try:
            listed = sorted(
                (self.memory.run(r) for r in self.runs.list("~", **self.window())),
                key=lambda r: str(r["run_id"]),
            )
            step.value = {"runs": listed, "count": self.runs.count("~", **self.window())}
        except Exception as exc:
            step.raised = type(exc).__name__
            step.message = str(exc)[:300]
            step.unanswered = isinstance(exc, TransportError)
        self.transcript.steps.append(step)

    def cleanup(self) -> None:
        for dag_id, run_id in reversed(self.tried):
            # no call can address an id with "/" (InvalidArgument): it must simply not exist
            if "/" in run_id and all(
                r.run_id != run_id for r in self.runs.list(dag_id, **self.window())
            ):
                continue
            if not remove(self.client, dag_id, run_id):
                self.transcript.cleanup.append(f"{dag_id}/{run_id}")


def remove(client: Client, dag_id: str, run_id: str, attempts: int = 6) -> bool:
    """Delete a run if it exists, failing it first if unfinished (Airflow 3 refuses, 409, to
    delete a running run). False when it could not be deleted."""
    for _ in range(attempts):
        try:
            if not client.dag_runs.get(dag_id, run_id).is_finished:
                client.dag_runs.set_state(dag_id, run_id, DagRunState.FAILED)
            client.dag_runs.delete(dag_id, run_id)
            return True
        except NotFound:
            return True
        except (Conflict, TransportError):  # running again, or an overloaded server
            time.sleep(1.0)
        except Exception:
            return False
    return False


def is_refusal(exc: Exception) -> bool:
    """Did the library or the server refuse the call's arguments?"""
    return isinstance(exc, BadRequest | ValueError | TypeError)


def names_argument(exc: Exception, o: Op) -> bool:
    """Is `exc` the library's own refusal of an argument: a ValueError/TypeError whose message
    names an argument the call passed (as the README documents for naive datetimes)?"""
    if not isinstance(exc, ValueError | TypeError):
        return False
    passed = {TRIGGER_ARGS.get(name, name) for name, value in o.args if value is not None}
    if o.run is not None:  # an op on a run passes its dag_id and run_id (by its handle)
        passed |= {"dag_id", "run_id"}
    if o.kind in ("list", "count"):
        passed |= {"logical_date_gte", "logical_date_lte"}
    return any(re.search(rf"(?<![a-z_]){name}(?![a-z_])", str(exc)) for name in passed)


TRIGGER_ARGS = {"minute": "logical_date", "interval": "data_interval", "dag": "dag_ids"}


def unsupported_name(operation: str) -> str:
    """Which capability Airflow 2 lacks an UnsupportedOperation is about ("" if another)."""
    return next((name for name in V1_LACKS if name in operation), "")


# -- which answers are certain, and the oracle ---------------------------------------------


def _lower_all(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v).lower() for v in ([value] if isinstance(value, str) else value)]


def certainty(o: Op) -> tuple[Callable[[RunMemory, Any], bool] | None, bool]:
    """(which returned runs to compare: None = all; is the order scheduler-set?)"""
    timed_bound = any(name.rsplit("_", 1)[0] in TIMED_FIELDS for name, _ in o.args if _bound(name))
    states = set(_lower_all(o.get("states")))
    order = _lower_all(o.get("order_by"))
    timed_order = any(key.lstrip("-") in TIMED_FIELDS for key in order)
    if timed_bound:
        return (lambda m, r: False), timed_order
    if states & SCHEDULED:
        return (lambda m, r: m.is_certain(r.run_id)), timed_order
    return None, timed_order


def _bound(name: str) -> bool:
    return name.endswith(("_gte", "_lte")) and name != "window"


CANONICAL_STATES = frozenset({"queued", "running", "success", "failed"})
CANONICAL_TYPES = frozenset({t.value for t in RunType} | {"dataset_triggered"})
ORDER_FIELDS = frozenset({"logical_date", "run_id", "start_date", "end_date"})


def _given(value: Any) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def oracle_applies(o: Op) -> bool:
    """The oracle judges only calls whose every value is a canonical, valid one."""
    states, types, order = o.get("states"), o.get("run_types"), o.get("order_by")
    if states is not None and not (_given(states) and set(_given(states)) <= CANONICAL_STATES):
        return False
    if types is not None and not set(_given(types)) <= CANONICAL_TYPES:
        return False
    if order is not None and (not isinstance(order, str) or order.lstrip("-") not in ORDER_FIELDS):
        return False
    if any(value == "naive" for name, value in o.args if _bound(name)):
        return False
    return o.get("dag") not in ("unknown", "ids_unknown")


def _facts(run: Any) -> tuple[object, ...]:
    return (run.dag_id, run.run_id, str(run.state), run.start_date, run.end_date)


@dataclass
class Oracle:
    """The facade's documented meaning of a list/count, applied to the target's own runs
    as read back just before and just after the call."""

    o: Op
    filters: dict[str, Any]
    dag_id: str

    def matches(self, run: Any) -> bool:
        f = self.filters
        dag_ids = f.get("dag_ids") or ([self.dag_id] if self.dag_id != "~" else None)
        if dag_ids is not None and run.dag_id not in dag_ids:
            return False
        states = f.get("states")
        if states is not None and str(getattr(run.state, "value", run.state)) not in _given(states):
            return False
        types = {RUN_TYPE_NAMES.get(t, t) for t in _given(f.get("run_types"))}
        if types and str(getattr(run.run_type, "value", run.run_type)) not in types:
            return False
        for name, bound in f.items():
            if not _bound(name):
                continue
            field_name, op = name.rsplit("_", 1)
            # updated_at is not in the model: every run has one, set by now
            value = getattr(run, field_name, None) if field_name != "updated_at" else NOW
            if value is None:
                return False  # a null date never satisfies a bound (Airflow 2, and SQL)
            if (op == "gte" and value < bound) or (op == "lte" and value > bound):
                return False
        return True

    def judge(self, got: Any, before: list[Any], after: list[Any], memory: RunMemory) -> list[str]:
        """What the answer gets wrong. Runs whose state or dates changed between the two
        read-backs are not judged: the scheduler moved them meanwhile."""
        stable = {_facts(r) for r in before} & {_facts(r) for r in after}
        judged = [r for r in after if _facts(r) in stable]
        unsure = {r.run_id for r in after if _facts(r) not in stable}
        unsure |= {r.run_id for r in before if _facts(r) not in stable}
        expected = {r.run_id for r in judged if self.matches(r)}
        if self.o.kind == "count":
            if not unsure and got != len(expected):
                return [f"count {got}, but {len(expected)} of its runs match"]
            return []
        problems = []
        for run in got:
            if run.run_id not in unsure and not self.matches(run):
                problems.append(
                    f"returned {memory.local_id(run.run_id)}, which does not match "
                    f"(state={getattr(run.state, 'value', run.state)}, "
                    f"start_date={run.start_date}, end_date={run.end_date})"
                )
        if self.o.get("limit") is None:
            returned = {r.run_id for r in got}
            for run_id in sorted(expected - returned):
                problems.append(f"left out {memory.local_id(run_id)}, which matches")
        order = self.filters.get("order_by")
        if isinstance(order, str):
            key = order.lstrip("-")
            values = [getattr(r, key) for r in got if getattr(r, key) is not None]
            if values != sorted(values, reverse=order.startswith("-")):
                problems.append(f"not ordered by {order}")
        return problems


NOW = datetime.now(timezone.utc)
