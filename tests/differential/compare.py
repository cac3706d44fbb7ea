"""What the tier compares, and what it tolerates: the one table of tolerances, the
normalization of every answer, and the comparison of two targets' transcripts.

A transcript is one `Step` per operation (plus the read-back at the end): the normalized value
the facade returned, or the class of what it raised (and which argument names the message
mentions). Normalized values replace each execution's tag and window by symbols and fold what
the live scheduler decides on its own (see TOLERANCES).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from airflow_bridge import AssetEvent, ClearResult, DagRun
from differential.ops import Context

# The one place where differences are tolerated. Each entry: what, and why it may differ.
TOLERANCES: Mapping[str, str] = {
    "api, server": "name the target itself (generation, base URL)",
    "queued_at, start_date, end_date, last_scheduling_decision": (
        "wall-clock times the server (or its scheduler) sets"
    ),
    "run_after, triggered_by, triggering_user, dag_display_name, bundle_version, extra": (
        "Airflow 3 only: the facade reports them as None on Airflow 2 (README table)"
    ),
    "state queued/running/success of a run the sequence did not set": (
        "the live scheduler moves runs queued -> running -> success on its own time; the fake "
        "moves them only when told. Compared as 'scheduled'; 'failed', and a state the "
        "sequence set, are compared exactly"
    ),
    "logical_date and data_interval of a run triggered without a logical date": (
        "Airflow 2 dates it now, Airflow 3 leaves it undated (README table): compared as "
        "'server-chosen'"
    ),
    "run_id chosen by the server": "it embeds the trigger time: compared as its prefix",
    "ops on a run whose raw state differed just before (delete, clear, upstream_events, "
    "update with a state)": (
        "their outcome depends on queued vs running vs success (e.g. Airflow 3 refuses to "
        "delete a running run); the step is skipped when the two targets' runs were not in "
        "the same state. The fakes are first moved to the live server's state (FakeAirflow."
        "advance), so fake-vs-live is skipped only when the fake cannot follow"
    ),
    "list/count membership under a scheduler-dependent filter": (
        "a state filter naming queued/running/success, or a start_date/end_date/updated_at "
        "bound, selects runs by what the scheduler did: only runs whose answer is certain "
        "(a state the sequence set) are compared; each target's answer is instead checked "
        "against its own read-back (the oracle: every run returned matches, none missing)"
    ),
    "list order by start_date/end_date/updated_at/queued_at": (
        "scheduler-set values: compared as a set, the order checked by the oracle"
    ),
    "clear task-instance state": (
        "set by the scheduler as it runs the tasks: compared only on a run the sequence set "
        "to success (whose tasks the server then marks, e.g. 'skipped' on 3.3.2 when they "
        "had not run), and only between fake and live of one version (Airflow 2's dry-run clear "
        "does not report task-instance states: the facade gives None, issue 9 item 8)"
    ),
    "UnsupportedOperation on Airflow 2 where the capability table says Airflow 2 lacks it": (
        "run_types, run_after_* (filters and order), several order_by keys: Airflow 2's API "
        "has no such thing, so the call is refused before sending, by design (README "
        "capability table), whatever Airflow 3 answers; Airflow 3's answer is still checked "
        "against the fake 3.3.2 and by the oracle"
    ),
    "oracle: a run whose state or dates changed between the read-backs around a list/count": (
        "the scheduler moved it while the call ran: not judged"
    ),
    "a run id one generation's server refuses by its own rule, and what follows from it": (
        "kept (README differences table): Airflow 2.10.5 accepts '..' in a run id, 3.3.2 refuses "
        "it (path traversal); 3.3.2 accepts a trailing newline, 2.10.5 refuses it. Between the "
        "two live servers, when one created such a run and the other answered InvalidRunId "
        "(or Conflict on the logical date such a run holds), the ops on that run are skipped, "
        "it is left out of lists, and a count may differ by the number of such runs; each "
        "fake is still compared exactly with the live server of its version"
    ),
    "delete of a running run, and what follows from it": (
        "kept (README differences table): Airflow 2.10.5 deletes it, 3.3.2 answers 409. When "
        "both live runs were running and only Airflow 3 refused, the run is then handled as "
        "above: ops on it skipped, left out of lists, counts within the number of such runs"
    ),
    "a live server that did not answer (TransportError)": (
        "the shared servers can be overloaded by other work (SQLite locks): the example is "
        "run once more, and fails if a live server again does not answer"
    ),
}

SCHEDULED = frozenset({"queued", "running", "success"})
TIMED_FIELDS = frozenset({"start_date", "end_date", "updated_at", "queued_at"})
# What Airflow 2 lacks, as UnsupportedOperation names it (the run_after_* filters, ordering
# by run_after, the run_types filter, several order_by keys).
V1_LACKS = ("order_by_several", "run_types", "run_after")
DROPPED = frozenset(
    {
        "api",
        "server",
        "queued_at",
        "start_date",
        "end_date",
        "last_scheduling_decision",
        "run_after",
        "triggered_by",
        "triggering_user",
        "dag_display_name",
        "bundle_version",
        "extra",
    }
)
RUN_DATES = ("logical_date", "data_interval_start", "data_interval_end")
KEYWORDS = (
    "run_id",
    "note",
    "conf",
    "state",
    "logical_date",
    "data_interval",
    "order_by",
    "run_type",
    "pattern",
    "1000",
    "mapping",
    "dag_id",
)
ARGUMENT_ERRORS = frozenset({"BadRequest", "ValueError", "TypeError", "UnsupportedOperation"})


@dataclass
class Step:
    """What one target answered to one op (normalized), and what its oracle saw."""

    index: int
    label: str
    value: Any = None
    raised: str | None = None
    names: tuple[str, ...] = ()  # KEYWORDS its error message mentions
    message: str = ""
    pre: str | None = None  # the run's raw state just before a state-dependent op
    oracle: list[str] = field(default_factory=list)
    unsupported: str | None = None  # the capability Airflow 2 lacks, when that was raised
    unanswered: bool = False  # a TransportError (or subclass): the server did not answer
    run: str | None = None  # the handle of the run the op (or read-back) is about

    def outcome(self) -> Any:
        return {"raised": self.raised} if self.raised else {"value": self.value}


@dataclass
class Transcript:
    target: str
    steps: list[Step] = field(default_factory=list)
    cleanup: list[str] = field(default_factory=list)  # runs it could not delete


@dataclass(frozen=True)
class Divergence:
    """Two targets answered one step differently (or one target broke its own oracle)."""

    left: str
    right: str
    index: int
    label: str
    aspect: str  # "outcome", "message", "oracle"
    left_saw: Any
    right_saw: Any

    @property
    def signature(self) -> tuple[str, str, str, str]:
        """What identifies this divergence while a sequence is shrunk."""
        kind = self.label.split("(")[0]
        return (kind, self.aspect, _shape(self.left_saw), _shape(self.right_saw))

    def describe(self, width: int = 400) -> str:
        return (
            f"step {self.index} {self.label} [{self.aspect}]\n"
            f"    {self.left}: {_cut(self.left_saw, width)}\n"
            f"    {self.right}: {_cut(self.right_saw, width)}"
        )


def _cut(seen: Any, width: int) -> str:
    text = str(seen)
    return text if len(text) <= width else text[:width] + f"… ({len(text)} chars)"


def _shape(seen: Any) -> str:
    if isinstance(seen, dict) and "raised" in seen:
        return f"raised {seen['raised']}"
    return "value" if not isinstance(seen, list) else "oracle"


# -- normalization -------------------------------------------------------------------------


@dataclass
class RunMemory:
    """What one execution knows of its runs: handles by run id, states it set, how each was
    triggered (to fold what the server chose)."""

    ctx: Context
    handles: dict[str, str] = field(default_factory=dict)  # run_id -> handle
    explicit: dict[str, str] = field(default_factory=dict)  # handle -> state it set
    undated: set[str] = field(default_factory=set)  # handles triggered without a date
    server_named: set[str] = field(default_factory=set)

    def local_id(self, run_id: str) -> str:
        handle = self.handles.get(run_id)
        if handle in self.server_named:
            return f"<server-named {run_id.split('__')[0]}__…>"
        return run_id.replace(self.ctx.tag, "TAG")

    def offset(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        minutes, rest = divmod(value - self.ctx.base, _MINUTE)
        if not rest and -1000 < minutes < 1000:
            return f"base{minutes:+d}m"
        return value.isoformat()

    def fold_state(self, run_id: str, state: object) -> object:
        value = getattr(state, "value", state)
        handle = self.handles.get(run_id, "")
        if value in SCHEDULED and self.explicit.get(handle) != value:
            return "scheduled"
        return value

    def is_certain(self, run_id: str) -> bool:
        """Is this run's state decided by the sequence rather than the scheduler?"""
        return self.handles.get(run_id, "") in self.explicit

    def run(self, run: DagRun) -> dict[str, Any]:
        data = {k: v for k, v in run.to_dict().items() if k not in DROPPED}
        data["run_id"] = self.local_id(run.run_id)
        data["state"] = self.fold_state(run.run_id, run.state)
        handle = self.handles.get(run.run_id, "")
        for name in RUN_DATES:
            if handle in self.undated:
                data[name] = "server-chosen"
            else:
                data[name] = self.offset(getattr(run, name))
        return data

    def clear(self, result: ClearResult) -> dict[str, Any]:
        tis = []
        for ti in result.task_instances:
            handle = self.handles.get(ti.run_id, "")
            settled = self.explicit.get(handle) == "success"
            tis.append(
                (
                    ti.dag_id,
                    self.local_id(ti.run_id),
                    ti.task_id,
                    ti.map_index,
                    ti.state if settled else "(not compared)",
                )
            )
        return {
            "dry_run": result.dry_run,
            "task_instances": sorted(tis, key=repr),
            "dag_run": None if result.dag_run is None else self.run(result.dag_run),
        }

    def events(self, events: Iterable[AssetEvent]) -> list[dict[str, Any]]:
        return [
            {"uri": e.uri, "source": (e.source_dag_id, e.source_task_id)}
            for e in sorted(events, key=lambda e: e.timestamp)
        ]


_MINUTE = datetime(2000, 1, 1, 0, 1) - datetime(2000, 1, 1)


def names_in(message: str) -> tuple[str, ...]:
    low = message.lower()
    return tuple(word for word in KEYWORDS if word in low)


# -- comparison ----------------------------------------------------------------------------


def _without_ti_state(step: Step) -> Step:
    """A clear's task instances without their state (TOLERANCES: Airflow 2 does not tell)."""
    value = step.value
    if not (isinstance(value, dict) and "task_instances" in value):
        return step
    tis = [(*ti[:-1], "(not told by Airflow 2)") for ti in value["task_instances"]]
    return replace(step, value={**value, "task_instances": tis})


def oracle_findings(transcript: Transcript) -> list[Divergence]:
    """Every step where the target's answer broke the facade's meaning (see Oracle)."""
    return [
        Divergence(transcript.target, "its own read-back", s.index, s.label, "oracle", s.oracle, [])
        for s in transcript.steps
        if s.oracle
    ]


def _kept_run_id(run_id: str) -> bool:
    """A run id the two generations' servers judge by their own (kept) rules."""
    return ".." in run_id or run_id.endswith("\n")


@dataclass
class KeptRuns:
    """Runs that exist on one live server only because of a kept difference (TOLERANCES): a
    run-id rule, or a running run deleted on Airflow 2 and kept (409) on Airflow 3."""

    handles: set[str] = field(default_factory=set)
    left: dict[str, Any] = field(default_factory=dict)  # local run id -> logical date
    right: dict[str, Any] = field(default_factory=dict)
    known: dict[str, tuple[str, Any]] = field(default_factory=dict)  # handle -> (id, date)

    def remember(self, *steps: Step) -> None:
        for step in steps:
            if step.run is not None and isinstance(step.value, dict) and "run_id" in step.value:
                self.known[step.run] = (str(step.value["run_id"]), step.value.get("logical_date"))

    def note_delete(self, a: Step, b: Step) -> bool:
        """A running run: Airflow 2 deletes it, Airflow 3 answers Conflict (kept, README)."""
        running = a.pre == b.pre == "running" and a.run in self.known
        if not (running and a.value == "deleted" and b.raised == "Conflict"):
            return False
        run_id, date = self.known[str(a.run)]
        self.handles.add(str(a.run))
        self.right[run_id] = date
        return True

    def note_trigger(self, a: Step, b: Step) -> bool:
        """Is this trigger's difference explained by a kept rule? Then remember its run."""
        if not a.label.startswith("op('trigger'") or (a.raised is None) == (b.raised is None):
            return False
        made, refused, made_on = (a, b, self.left) if b.raised else (b, a, self.right)
        held = self.right if made_on is self.left else self.left
        run_id = str(made.value.get("run_id", ""))
        date = made.value.get("logical_date")
        explained = (refused.raised == "InvalidRunId" and _kept_run_id(run_id)) or (
            refused.raised == "Conflict" and date is not None and date in held.values()
        )
        if explained and a.run is not None:
            self.handles.add(a.run)
            made_on[run_id] = date
        return explained

    def fold(self, a: Step, b: Step) -> tuple[Step, Step]:
        """Both answers without the kept runs (a count or a bounded list: within their number)."""
        if not (self.left or self.right) or a.raised or b.raised:
            return a, b
        x, y = a.value, b.value
        if not (isinstance(x, dict) and isinstance(y, dict)):
            return a, b
        x, y = dict(x), dict(y)
        if "runs" in x and "runs" in y:
            kept = self.left.keys() | self.right.keys()
            x["runs"] = [r for r in x["runs"] if r["run_id"] not in kept]
            y["runs"] = [r for r in y["runs"] if r["run_id"] not in kept]
        for key in ("count", "n"):
            both = isinstance(x.get(key), int) and isinstance(y.get(key), int)
            if both and -len(self.right) <= x[key] - y[key] <= len(self.left):
                x[key] = y[key] = f"(within {len(self.left)}/{len(self.right)} kept runs)"
        return replace(a, value=x), replace(b, value=y)


def compare(left: Transcript, right: Transcript, *, generations: bool) -> list[Divergence]:
    """Every step the two answered differently (`generations`: `left` is Airflow 2 and
    `right` Airflow 3, and the capability gaps of Airflow 2 and the kept run-id rules are
    tolerated)."""
    found: list[Divergence] = []
    kept = KeptRuns()
    for a, b in zip(left.steps, right.steps, strict=True):
        if generations:
            kept.remember(a, b)
        if generations and (
            a.run in kept.handles or kept.note_trigger(a, b) or kept.note_delete(a, b)
        ):
            continue  # TOLERANCES: kept differences (run-id rules, deleting a running run)
        if generations:
            a, b = kept.fold(a, b)

        def add(aspect: str, x: Any, y: Any, a: Step = a) -> None:
            found.append(Divergence(left.target, right.target, a.index, a.label, aspect, x, y))

        if a.pre != b.pre:
            continue  # TOLERANCES: the runs were in different states
        if generations and a.unsupported:
            continue  # TOLERANCES: a capability Airflow 2 (the left side) lacks
        if generations and a.outcome() != b.outcome():
            a, b = _without_ti_state(a), _without_ti_state(b)
        if a.outcome() != b.outcome():
            shown_a = {"raised": a.raised, "message": a.message} if a.raised else a.outcome()
            shown_b = {"raised": b.raised, "message": b.message} if b.raised else b.outcome()
            add("outcome", shown_a, shown_b)
        elif a.raised in ARGUMENT_ERRORS and a.names != b.names:
            add(
                "message",
                {"names": a.names, "message": a.message},
                {
                    "names": b.names,
                    "message": b.message,
                },
            )
    return found
