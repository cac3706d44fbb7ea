"""The fake's database and scheduler: DAGs, runs, task instances and asset events.

Generation-neutral: the v1 and v2 modules decide how a run looks on the wire, this module
decides what happens to it. Run-id formats and logical dates of scheduler-made runs are the
one thing that differs by generation, so the store is told which one it serves.
"""

from __future__ import annotations

import secrets
import string
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from airflow_bridge.testing import _chain
from airflow_bridge.testing._chain import Try
from airflow_bridge.testing._clock import Clock

QUEUED, RUNNING, SUCCESS, FAILED = "queued", "running", "success", "failed"
FINISHED = frozenset({SUCCESS, FAILED})
ACTIVE = frozenset({QUEUED, RUNNING})
DEFAULT_TASKS = ("task",)
BRIDGE_START = datetime(2024, 1, 1, tzinfo=timezone.utc)  # dags/: START, in the servers' utc


@dataclass(frozen=True)
class DagSpec:
    """A DAG the fake knows: its tasks (a chain), whether it starts paused, the asset URIs
    its last task updates on success (`outlets`) and those whose events trigger it
    (`schedule`: an asset-scheduled consumer). Tasks in `failing` raise `failure` whenever
    they run, so the scheduler fails the run (their downstream tasks: upstream_failed).
    Tasks in `python` are PythonOperators (sent to a worker: a host, a pid, rendered
    fields); the others EmptyOperators, which the scheduler finishes itself. `start_date`
    (aware; None: none) is every task's: a run dated before it gets no task instances."""

    dag_id: str
    task_ids: Sequence[str] = DEFAULT_TASKS
    paused: bool = False
    outlets: Sequence[str] = ()
    schedule: Sequence[str] = ()
    tags: Sequence[str] = ()
    failing: Sequence[str] = ()
    failure: str = "planned failure"
    python: Sequence[str] = ()
    start_date: datetime | None = None


#: The DAGs of the project's real test servers (dags/), used when none are given.
BRIDGE_DAGS = (
    DagSpec(
        "bridge_plain", task_ids=("first", "second"), tags=("bridge",), start_date=BRIDGE_START
    ),
    DagSpec(
        "bridge_producer",
        task_ids=("produce",),
        python=("produce",),
        outlets=("bridge://datasets/one",),
        tags=("bridge",),
        start_date=BRIDGE_START,
    ),
    DagSpec(
        "bridge_consumer",
        task_ids=("consume",),
        schedule=("bridge://datasets/one",),
        tags=("bridge",),
        start_date=BRIDGE_START,
    ),
    DagSpec(
        "bridge_failing",
        task_ids=("setup", "explode", "after"),
        paused=True,  # is_paused_upon_creation, as in dags/
        tags=("bridge",),
        failing=("explode",),
        python=("explode",),
        failure="bridge_failing: planned failure for the runbook tests",
        start_date=BRIDGE_START,
    ),
)


@dataclass
class Dag:
    spec: DagSpec
    paused: bool
    created_at: datetime
    version_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def dag_id(self) -> str:
        return self.spec.dag_id


@dataclass
class TaskInstance:
    task_id: str
    priority_weight: int
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    state: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    try_number: int = 0
    tries: list[Try] = field(default_factory=list)  # what each try did, for its log


@dataclass
class Run:
    pk: int
    dag_id: str
    run_id: str
    run_type: str  # manual | scheduled | asset_triggered (v1 calls the last dataset_triggered)
    state: str
    logical_date: datetime | None
    data_interval: tuple[datetime, datetime] | None
    run_after: datetime
    queued_at: datetime | None
    updated_at: datetime
    conf: dict[str, Any]
    note: str | None
    triggered_by: str
    triggering_user: str | None
    tasks: list[TaskInstance]
    start_date: datetime | None = None
    end_date: datetime | None = None
    last_scheduling_decision: datetime | None = None
    consumed_events: list[int] = field(default_factory=list)
    beats: int = 0  # scheduler heartbeats spent in the current state (auto mode)

    @property
    def external_trigger(self) -> bool:
        return self.run_type == "manual"


@dataclass
class AssetEvent:
    id: int
    asset_id: int
    uri: str
    source_dag_id: str
    source_task_id: str
    source_run_id: str
    timestamp: datetime
    created_runs: list[tuple[str, str]] = field(default_factory=list)  # (dag_id, run_id)
    extra: dict[str, Any] = field(default_factory=dict)


class Store:
    """All state, guarded by one lock (the loopback server is threaded)."""

    def __init__(
        self, dags: Iterable[DagSpec], *, clock: Clock, major: int, auto: int | None
    ) -> None:
        self.clock = clock
        self.major = major
        self.auto = auto
        self.lock = threading.RLock()
        now = clock.now()
        self.dags = {spec.dag_id: Dag(spec, spec.paused, now) for spec in dags}
        self.runs: dict[tuple[str, str], Run] = {}
        self.events: list[AssetEvent] = []
        self.assets: dict[str, int] = {}
        self._pending: dict[str, list[int]] = {}  # consumer dag -> events awaiting a run
        self._next_pk = 1

    # -- queries -------------------------------------------------------------------------

    def run(self, dag_id: str, run_id: str) -> Run | None:
        return self.runs.get((dag_id, run_id))

    def all_runs(self) -> list[Run]:
        return sorted(self.runs.values(), key=lambda run: run.pk)

    def find(self, run_id: str, dag_id: str | None = None) -> Run:
        """A run by id for the test-facing API; dag_id only needed when ids repeat."""
        found = [r for r in self.runs.values() if r.run_id == run_id and dag_id in (None, r.dag_id)]
        if not found:
            raise KeyError(f"no run {run_id!r}" + (f" in {dag_id!r}" if dag_id else ""))
        if len(found) > 1:
            raise ValueError(f"run id {run_id!r} exists in several DAGs; pass dag_id=")
        return found[0]

    def event(self, event_id: int) -> AssetEvent:
        return next(e for e in self.events if e.id == event_id)

    # -- changes made through the API --------------------------------------------------------

    def create_run(
        self,
        dag_id: str,
        run_id: str,
        *,
        logical_date: datetime | None,
        data_interval: tuple[datetime, datetime] | None,
        run_after: datetime,
        conf: dict[str, Any],
        note: str | None,
        user: str | None,
        run_type: str = "manual",
        triggered_by: str = "rest_api",
    ) -> Run:
        now = self.clock.now()
        spec = self.dags[dag_id].spec
        tasks = spec.task_ids
        run = Run(
            pk=self._next_pk,
            dag_id=dag_id,
            run_id=run_id,
            run_type=run_type,
            state=QUEUED,
            logical_date=logical_date,
            data_interval=data_interval,
            run_after=run_after,
            queued_at=now,
            updated_at=now,
            conf=conf,
            note=note,
            triggered_by=triggered_by,
            triggering_user=user,
            tasks=[TaskInstance(t, len(tasks) - i) for i, t in enumerate(tasks)]
            if _scheduled(spec, logical_date)
            else [],
        )
        self._next_pk += 1
        self.runs[(dag_id, run_id)] = run
        return run

    def delete(self, run: Run) -> None:
        del self.runs[(run.dag_id, run.run_id)]

    def mark(self, run: Run, state: str, *, success_skips_unstarted: bool = False) -> None:
        """PATCH state: what "mark success/failed" and "queue again" do to run and tasks.

        Marked failed, unstarted tasks are skipped; marked success, they succeed on 2.10.5 but
        are skipped on 3.3.2 (`success_skips_unstarted`; both seen live). Running ones take the
        run's state.
        """
        now = self.clock.now()
        run.state = state
        run.updated_at = now
        run.beats = 0
        if state == QUEUED:
            run.queued_at = now
            run.start_date = run.end_date = None
            return
        run.end_date = now
        for ti in run.tasks:
            if ti.state not in FINISHED:
                kept = ti.state == RUNNING or (state == SUCCESS and not success_skips_unstarted)
                ti.state = state if kept else "skipped"

    def set_note(self, run: Run, note: str | None) -> None:
        run.note = note
        run.updated_at = self.clock.now()

    def clear(self, run: Run) -> None:
        """Clear every task instance: the run is queued again from scratch."""
        now = self.clock.now()
        for ti in run.tasks:
            ti.state = None
        run.state = QUEUED
        run.queued_at = run.updated_at = now
        run.start_date = run.end_date = run.last_scheduling_decision = None
        run.beats = 0

    def set_paused(self, dag: Dag, paused: bool) -> None:
        dag.paused = paused
        if not paused:
            self._create_pending_runs()

    # -- the scheduler -------------------------------------------------------------------

    def heartbeat(self) -> None:
        """One scheduler loop in auto mode: each run moves on after `auto` heartbeats."""
        if self.auto is None:
            return
        now = self.clock.now()
        for run in self.all_runs():
            if run.state not in ACTIVE or self.dags[run.dag_id].paused:
                continue
            if self.major >= 3 and run.state == QUEUED and run.run_after > now:
                continue  # Airflow 3 starts a run once its run_after has come (seen on 3.3.2)
            run.beats += 1
            if run.beats >= self.auto:
                if run.state == QUEUED:
                    self.start(run)
                else:
                    self.finish(run, _chain.outcome(self.dags[run.dag_id].spec, run))

    def start(self, run: Run) -> None:
        now = self.clock.now()
        run.state = RUNNING
        run.start_date = run.last_scheduling_decision = run.updated_at = now
        run.end_date = None
        run.beats = 0
        _chain.start_first(run, now)

    def finish(self, run: Run, state: str) -> None:
        """The run's unfinished tasks ran: all succeeded, or (failed) the DAG's failing tasks,
        else the first, failed and the rest could not run (`_task_instances.run_chain`)."""
        if run.state == QUEUED:
            self.start(run)
        now = self.clock.now()
        run.state = state
        run.end_date = run.last_scheduling_decision = run.updated_at = now
        run.beats = 0
        _chain.run_chain(self.dags[run.dag_id].spec, run, now, fail=state == FAILED)
        if state == SUCCESS:
            self._emit_events(run)

    def advance(self, run: Run, to: str) -> None:
        if to == RUNNING:
            if run.state != QUEUED:
                raise ValueError(f"{run.run_id} is {run.state}: only a queued run can start")
            self.start(run)
        elif to in FINISHED:
            if run.state not in ACTIVE:
                raise ValueError(f"{run.run_id} already finished ({run.state})")
            self.finish(run, to)
        else:
            raise ValueError(f"advance to 'running', 'success' or 'failed', not {to!r}")

    def complete_all(self, state: str) -> list[Run]:
        """Finish every active run of unpaused DAGs, including the consumer runs this
        creates, as the scheduler eventually would; the runs it finished."""
        done: list[Run] = []
        while True:
            todo = [
                r
                for r in self.all_runs()
                if r.state in ACTIVE and not self.dags[r.dag_id].paused and r not in done
            ]
            if not todo:
                return done
            for run in todo:
                self.finish(run, state)
                done.append(run)

    # -- assets --------------------------------------------------------------------------

    def _emit_events(self, run: Run) -> None:
        spec = self.dags[run.dag_id].spec
        if not any(ti.task_id == spec.task_ids[-1] for ti in run.tasks):
            return  # the last task's instance updates the outlets; a run without it, none
        for uri in spec.outlets:
            event = AssetEvent(
                id=len(self.events) + 1,
                asset_id=self.assets.setdefault(uri, len(self.assets) + 1),
                uri=uri,
                source_dag_id=run.dag_id,
                source_task_id=spec.task_ids[-1],
                source_run_id=run.run_id,
                timestamp=self.clock.now(),
            )
            self.events.append(event)
            for dag in self.dags.values():
                if uri in dag.spec.schedule:
                    self._pending.setdefault(dag.dag_id, []).append(event.id)
        self._create_pending_runs()

    def _create_pending_runs(self) -> None:
        """Consumers of queued events get one run each (paused ones keep waiting)."""
        for dag_id, event_ids in list(self._pending.items()):
            if self.dags[dag_id].paused or not event_ids:
                continue
            del self._pending[dag_id]
            run = self._consumer_run(dag_id, [self.event(i) for i in event_ids])
            run.consumed_events = list(event_ids)
            for event_id in event_ids:
                self.event(event_id).created_runs.append((dag_id, run.run_id))

    def _consumer_run(self, dag_id: str, events: list[AssetEvent]) -> Run:
        now = self.clock.now()
        logical: datetime | None = None
        interval = None
        if self.major == 2:
            # Airflow 2: the logical date is now, the interval spans the sources' logical dates.
            sources = [self.run(e.source_dag_id, e.source_run_id) for e in events]
            dates = [s.logical_date for s in sources if s and s.logical_date] or [now]
            logical, interval = now, (min(dates), max(dates))
            run_id = f"dataset_triggered__{now.isoformat()}"
        else:
            alphabet = string.ascii_letters + string.digits
            suffix = "".join(secrets.choice(alphabet) for _ in range(8))
            run_id = f"asset_triggered__{now.isoformat()}_{suffix}"
        return self.create_run(
            dag_id,
            run_id,
            logical_date=logical,
            data_interval=interval,
            run_after=now,
            conf={},
            note=None,
            user=None,
            run_type="asset_triggered",
            triggered_by="dataset" if self.major == 2 else "asset",
        )


def _scheduled(spec: DagSpec, logical_date: datetime | None) -> bool:
    """DagRun.verify_integrity's task filter (2.10.5's and 3.3.2's): a task gets an instance
    unless the run's logical date is before its start_date, so an undated 3.x run always
    does. A bridge_plain run dated 2023 had none on both live servers."""
    return spec.start_date is None or logical_date is None or spec.start_date <= logical_date
