"""How the fake scheduler moves a run's task instances, try by try.

A run's tasks are a chain (`DagSpec.task_ids`). When the scheduler runs a run, each task not
finished yet runs in order: a task of `DagSpec.failing` raises and fails, the tasks after a
failure become upstream_failed without running (try_number stays 0; seen on 2.10.5 and
3.3.2). Every try is kept (`TaskInstance.tries`) so its log can be served. Imported by the
store, so it imports the store's types only for checking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_bridge.testing._state import DagSpec, Run

RUNNING, SUCCESS, FAILED, UPSTREAM_FAILED = "running", "success", "failed", "upstream_failed"
DONE = frozenset({SUCCESS, FAILED, UPSTREAM_FAILED, "skipped"})
CLEARABLE_FAILED = frozenset({FAILED, UPSTREAM_FAILED})  # only_failed clears both (live)


@dataclass(frozen=True)
class Try:
    """One run of a task instance: its number, when, and how it ended (`error`: raised)."""

    number: int
    start: datetime
    end: datetime
    state: str
    error: str | None = None


def start_first(run: Run, now: datetime) -> None:
    """The run starts: its first task not finished yet begins a try."""
    for ti in run.tasks:
        if ti.state not in DONE:
            ti.state, ti.start_date, ti.end_date = RUNNING, now, None
            ti.try_number += 1
            return


def run_chain(spec: DagSpec, run: Run, now: datetime, *, fail: bool) -> None:
    """Run every unfinished task in chain order. `fail`: the run is to fail, through the
    DAG's failing tasks (or, when it has none, the first task that runs)."""
    broken = False
    for ti in run.tasks:
        if ti.state in DONE:
            broken = broken or ti.state in CLEARABLE_FAILED
            continue
        if broken:
            ti.state, ti.start_date, ti.end_date = UPSTREAM_FAILED, now, now
            continue
        raises = fail and (ti.task_id in spec.failing or not spec.failing)
        if ti.state != RUNNING:
            ti.try_number += 1
            ti.start_date = now
        ti.end_date = now
        ti.state = FAILED if raises else SUCCESS
        error = spec.failure if raises else None
        ti.tries.append(Try(ti.try_number, ti.start_date or now, now, ti.state, error))
        broken = raises


def outcome(spec: DagSpec, run: Run) -> str:
    """How the scheduler ends the run when nobody says otherwise: failed when one of its
    task instances is a failing task (a run without task instances succeeds)."""
    return FAILED if any(ti.task_id in spec.failing for ti in run.tasks) else SUCCESS
