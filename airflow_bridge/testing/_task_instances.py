"""Task instance endpoints, written once; how the scheduler moves instances is `_chain`'s.

`clearTaskInstances` clears chosen instances of one run and can queue the run again; the
scheduler then runs only the cleared ones (try_number 2 for a task's second run). How an
instance looks on the wire is the dialect's (`ti_body`, `missing_ti`, `cleared_body`,
`log_body`).
"""

from __future__ import annotations

import functools
import uuid
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from airflow_bridge.testing._chain import CLEARABLE_FAILED
from airflow_bridge.testing._gates import Release
from airflow_bridge.testing._http import Abort, Call, Response, Route
from airflow_bridge.testing._state import QUEUED, RUNNING, DagSpec, Run, Store, TaskInstance


def chosen(
    spec: DagSpec,
    run: Run,
    task_ids: Sequence[str] | None,
    *,
    only_failed: bool,
    only_running: bool,
    downstream: bool,
    upstream: bool,
) -> list[TaskInstance]:
    """The instances a clearTaskInstances body selects, in chain order."""
    order = list(spec.task_ids)
    names = set(order if task_ids is None else task_ids)
    positions = [order.index(name) for name in names if name in order]
    if positions and downstream:
        names |= set(order[min(positions) :])
    if positions and upstream:
        names |= set(order[: max(positions) + 1])
    picked = [ti for ti in run.tasks if ti.task_id in names]
    if only_failed:
        picked = [ti for ti in picked if ti.state in CLEARABLE_FAILED]
    if only_running:
        picked = [ti for ti in picked if ti.state == RUNNING]
    return picked


def clear_instances(store: Store, run: Run, tis: list[TaskInstance], *, reset_run: bool) -> None:
    """Clear for real: the instances lose their state (a new try id on Airflow 3: each try is
    its own row there); `reset_run` queues the run again."""
    now = store.clock.now()
    for ti in tis:
        ti.state = None
        if store.major >= 3:
            ti.id = str(uuid.uuid4())
    if reset_run and tis:
        run.state = QUEUED
        run.queued_at = run.updated_at = now
        run.end_date = None
        run.beats = 0


HOST = "fakehost"
PYTHON_RENDERED: dict[str, Any] = {"op_args": [], "op_kwargs": {}, "templates_dict": None}


def worker_fields(spec: DagSpec, ti: TaskInstance) -> dict[str, Any]:
    """What a worker leaves on an instance: a PythonOperator that ran has a host, a pid, its
    rendered fields and the time it was queued; an EmptyOperator never reaches a worker
    (hostname "" on 2.10.5 and 3.3.2)."""
    python = ti.task_id in spec.python
    ran = python and bool(ti.tries)
    return {
        "operator": "PythonOperator" if python else "EmptyOperator",
        "hostname": HOST if ran else "",
        "pid": 4242 if ran else None,
        "rendered_fields": dict(PYTHON_RENDERED) if ran else {},
        "queued_when": ti.start_date if ran else None,
    }


class TaskInstanceEndpoints:
    """The task instance endpoints of `Api`; the dialect supplies the shapes and errors."""

    store: Store
    release: Release
    prefix: ClassVar[str]
    every_run_needs_dag: ClassVar[bool]  # "~" runs of an unknown DAG: 404, not an empty page

    @property
    @abstractmethod
    def run_path(self) -> str: ...

    def task_routes(self) -> list[Route]:
        tis = self.run_path + "/taskInstances"
        return [
            Route("GET", tis, "list_task_instances", self.list_task_instances),
            Route("GET", tis + "/{task_id}", "get_task_instance", self.get_task_instance),
            Route("GET", tis + "/{task_id}/logs/{try_number}", "task_logs", self.task_logs),
            Route(
                "POST",
                self.prefix + "/dags/{dag_id}/clearTaskInstances",
                "clear_task_instances",
                self.clear_task_instances,
                write=True,
            ),
        ]

    # -- from Api and the dialect -------------------------------------------------------

    @abstractmethod
    def ok(self, body: Any) -> Response: ...

    @abstractmethod
    def dag(self, operation: str, dag_id: str) -> Any: ...

    @abstractmethod
    def ti_body(self, run: Run, ti: TaskInstance) -> dict[str, Any]: ...

    @abstractmethod
    def ti_page(self, found: list[tuple[Run, TaskInstance]] | None, call: Call) -> Response:
        """A listing; `found` None: the run does not exist (2.x answers an empty page)."""

    @abstractmethod
    def missing_ti(self, operation: str, params: Mapping[str, str]) -> Abort:
        """A 404 worded as `operation` words it; `params` name the dag, run (and task)."""

    @abstractmethod
    def read_clear_tis(self, call: Call) -> dict[str, Any]: ...

    @abstractmethod
    def cleared_body(self, cleared: list[tuple[Run, TaskInstance]]) -> dict[str, Any]: ...

    @abstractmethod
    def log_body(self, run: Run, ti: TaskInstance, try_number: int, call: Call) -> Response: ...

    # -- endpoints -------------------------------------------------------------------------

    def instance(self, operation: str, call: Call) -> tuple[Run, TaskInstance]:
        """The servers look the task instance up alone: an unknown run is a missing task
        instance, worded as one (seen on 2.10.5 and 3.3.2)."""
        run = self.store.run(call.params["dag_id"], call.params["dag_run_id"])
        tis = [ti for ti in run.tasks if ti.task_id == call.params["task_id"]] if run else []
        if run is None or not tis:
            raise self.missing_ti(operation, call.params)
        return run, tis[0]

    def list_task_instances(self, call: Call) -> Response:
        """Run id "~" lists every run's instances, of every DAG when dag_id is "~" too (both
        specs; seen on 2.10.5 and 3.3.2)."""
        dag_id, run_id = call.params["dag_id"], call.params["dag_run_id"]
        if run_id != "~":
            run = self.store.run(dag_id, run_id)
            if run is None:
                return self.ti_page(None, call)
            runs = [run]
        else:
            if dag_id != "~" and self.every_run_needs_dag:
                self.dag("list_task_instances", dag_id)
            runs = [r for r in self.store.all_runs() if dag_id in ("~", r.dag_id)]
        states = {s for value in call.request.values("state") for s in value.split(",") if s}
        picked = [(r, ti) for r in runs for ti in r.tasks if (ti.state or "none") in states]
        return self.ti_page(picked if states else [(r, ti) for r in runs for ti in r.tasks], call)

    def get_task_instance(self, call: Call) -> Response:
        run, ti = self.instance("get_task_instance", call)
        return self.ok(self.ti_body(run, ti))

    def task_logs(self, call: Call) -> Response:
        run, ti = self.instance("task_logs", call)
        return self.log_body(run, ti, int(call.params["try_number"]), call)

    def clear_task_instances(self, call: Call) -> Response:
        values = self.read_clear_tis(call)
        dag = self.dag("clear_task_instances", call.params["dag_id"])
        run_id = values.get("dag_run_id")
        runs = [r for r in self.store.all_runs() if r.dag_id == dag.dag_id]
        if run_id is not None:
            runs = [r for r in runs if r.run_id == run_id]
            if not runs:
                raise self.missing_ti("clear_task_instances", {**call.params, "dag_run_id": run_id})
        cleared = []
        for run in runs:
            select = functools.partial(
                chosen,
                dag.spec,
                run,
                values.get("task_ids"),
                only_failed=values.get("only_failed", True),
                only_running=values.get("only_running", False),
                downstream=values.get("include_downstream", False),
                upstream=values.get("include_upstream", False),
            )
            tis = select()
            if not values.get("dry_run", True):
                reset = values.get("reset_dag_runs", True)
                clear_instances(self.store, run, tis, reset_run=reset)
                if not self.release.has("clear_answers_cleared"):
                    tis = select()  # 2.6 answers its query run again, after the clear
            cleared += [(run, ti) for ti in tis]
        return self.ok(self.cleared_body(cleared))
