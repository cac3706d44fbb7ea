"""Operation sequences: symbolic facade calls, a seeded generator, and their resolution into
real arguments for one execution.

An `Op` names its inputs by symbol ("space" for a run id with a space, "n1001" for a note of
1001 characters, minute 7 of the window, ...), so one sequence means the same calls on every
target and prints as code that rebuilds it. `Context.resolve_*` turn the symbols into the
arguments of one execution: each execution has its own tag (in every run id) and logical-date
window, so sequences never see each other's runs on the shared live servers.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_bridge import DagRunState

UTC = timezone.utc
PLAIN, CONSUMER = "bridge_plain", "bridge_consumer"
DAGS = {"plain": PLAIN, "consumer": CONSUMER}
WINDOW_MINUTES = 120  # logical dates of one execution: minutes 0..119 of its window
# Windows lie in 2025 (after the DAGs' start_date, before now, away from the facade
# scenario's 2024 windows); one per execution, chosen at random.
WINDOW_START = datetime(2025, 1, 1, tzinfo=UTC)
WINDOW_CHOICES = 4_000  # two-hour slots: about 11 months
RUN_ID_LIMIT = 250  # Airflow's run_id column (ID_LEN)

# -- the vocabularies: symbol -> value (or how to make it) --------------------------------

# Suffixes after "<tag>-<handle>"; "long250"/"long251" pad the whole id to that length.
RUN_ID_SHAPES: Mapping[str, str] = {
    "plain": "",
    "space": " with space",
    "percent": "-100%25-off%",
    "question": "-what?x=1",
    "hash": "-frag#ment",
    "dotdot": "-a..b",
    "dots_only": "..",
    "unicode": "-ünïcödé-日本",
    "colon_plus": ":a+b~c",
    "slash": "-a/b",
    "trailing_space": "-end ",
    "long250": "",
    "long251": "",
}
CONFS: Mapping[str, object] = {
    "empty": {},
    "all_types": {
        "s": "text",
        "i": 7,
        "f": 2.5,
        "t": True,
        "n": None,
        "l": [1, "a", None, {"k": []}],
        "o": {"deep": {"er": [0.5]}},
        "ü": "ünïcödé",
    },
    "list": [1, 2],
    "empty_list": [],
    "pairs": [["k", "v"]],
    "json_string": '{"a": 1}',
    "int": 5,
    "float": 1.5,
    "bool": True,
    "string": "text",
}
MAPPING_CONFS = tuple(name for name, conf in CONFS.items() if isinstance(conf, dict))
NOTES: Mapping[str, str] = {
    "empty": "",
    "short": "a note",
    "unicode": "ñøté ✓ 日本",
    "blank": "   ",
    "n999": "x" * 999,
    "n1000": "x" * 1000,
    "n1001": "x" * 1001,
    "u1000": "é" * 1000,
}
# Values given as `state=`: strings as typed, "enum:<value>" for a DagRunState member.
STATES = (
    "failed",
    "success",
    "queued",
    "running",
    "FAILED",
    "Success",
    "bogus",
    "",
    "enum:failed",
    "enum:success",
)
STATE_FILTERS: tuple[tuple[str, ...] | str, ...] = (
    ("failed",),
    ("success", "failed"),
    ("queued", "running", "success"),
    "failed",
    ("FAILED",),
    ("Running",),
    ("bogus",),
    ("failed", "bogus"),
    (),
)
RUN_TYPE_FILTERS: tuple[tuple[str, ...] | str, ...] = (
    ("manual",),
    "manual",
    ("dataset_triggered",),
    ("asset_triggered",),
    ("manual", "dataset_triggered"),
    ("MANUAL",),
    ("bogus",),
    ("scheduled", "backfill"),
)
ORDER_BYS: tuple[tuple[str, ...] | str, ...] = (
    "logical_date",
    "-logical_date",
    "run_id",
    "-run_id",
    "start_date",
    "-end_date",
    "updated_at",
    "-run_after",
    "execution_date",
    "dag_run_id",
    "-id",
    "bogus",
    "Logical_Date",
    ("logical_date", "run_id"),
    ("-run_id",),
)
# Bounds on server-set dates: before every run, after every run, or naive.
BOUND_FIELDS = ("start_date", "end_date", "updated_at", "run_after")
BOUNDS: Mapping[str, datetime] = {
    "past": datetime(2000, 1, 1, tzinfo=UTC),
    "future": datetime(2099, 1, 1, tzinfo=UTC),
    "naive": datetime(2025, 6, 1),
}
DAG_SELECTIONS = ("plain", "all", "ids", "ids_plain", "unknown", "ids_unknown")
LIMITS = (None, None, None, 0, 1, 3)
PAGE_SIZES = (100, 100, 1, 2)


@dataclass(frozen=True)
class Op:
    """One facade call, by symbols. `repr()` is code that rebuilds it (`op(...)`)."""

    kind: str
    args: tuple[tuple[str, Any], ...] = ()

    def get(self, name: str, default: Any = None) -> Any:
        return dict(self.args).get(name, default)

    @property
    def run(self) -> str | None:
        """The handle of the run this op is about ("r0", "r1", ...), if any."""
        handle = self.get("run")
        return None if handle is None else str(handle)

    def __repr__(self) -> str:
        inner = "".join(f", {name}={value!r}" for name, value in self.args)
        return f"op({self.kind!r}{inner})"


def op(kind: str, **args: Any) -> Op:
    """An Op; keyword order does not matter."""
    return Op(kind, tuple(sorted(args.items())))


def render(sequence: list[Op]) -> str:
    """A sequence as a Python list literal, one op per line."""
    return "[\n" + "".join(f"    {o!r},\n" for o in sequence) + "]"


# -- generation ----------------------------------------------------------------------------


def example_seed(seed: int, index: int) -> int:
    """The seed of example `index` of a session seeded `seed` (each one re-runnable alone)."""
    return random.Random(f"{seed}/{index}").getrandbits(48)


def generate(seed: int, length: int = 14) -> list[Op]:
    """A sequence of about `length` operations: some triggers first, then a mix of every
    other operation on those runs (and on a run that never existed), deterministic in seed."""
    rng = random.Random(seed)
    minutes = rng.sample(range(WINDOW_MINUTES), 40)
    handles: list[str] = []
    sequence: list[Op] = []

    def trigger() -> Op:
        handle = f"r{len(handles)}"
        args: dict[str, Any] = {"run": handle, "dag": rng.choice(("plain", "plain", "consumer"))}
        shape = rng.random()
        if shape < 0.45:
            args["run_id"] = "plain"
        elif shape < 0.5:
            args["run_id"] = None  # the server names it
        else:
            args["run_id"] = rng.choice(list(RUN_ID_SHAPES))
        when = rng.random()
        if when < 0.8 or not handles:
            args["minute"] = minutes[len(handles)]
        elif when < 0.88:  # the logical date of an earlier run of this sequence
            args["minute"] = minutes[rng.randrange(len(handles))]
        elif when < 0.94:
            args["minute"] = None  # the server dates it (or not)
        else:
            args["minute"] = "naive"
        if rng.random() < 0.1:
            args["interval"] = rng.choice(("before", "inverted"))
        if rng.random() < 0.5:  # mostly mappings; every other JSON type now and then
            args["conf"] = rng.choice((*MAPPING_CONFS, *MAPPING_CONFS, *CONFS))
        if rng.random() < 0.4:
            args["note"] = rng.choice(list(NOTES))
        handles.append(handle)
        return op("trigger", **args)

    def some_run() -> str:
        return "ghost" if rng.random() < 0.07 else rng.choice(handles)

    def filters() -> dict[str, Any]:
        lo = rng.choice((0, 0, 0, rng.randrange(WINDOW_MINUTES)))
        hi = rng.choice((WINDOW_MINUTES - 1, WINDOW_MINUTES - 1, rng.randrange(WINDOW_MINUTES)))
        args: dict[str, Any] = {"dag": rng.choice(DAG_SELECTIONS), "window": (lo, hi)}
        if rng.random() < 0.35:
            args["states"] = rng.choice(STATE_FILTERS)
        if rng.random() < 0.25:
            args["run_types"] = rng.choice(RUN_TYPE_FILTERS)
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            name = f"{rng.choice(BOUND_FIELDS)}_{rng.choice(('gte', 'lte'))}"
            args[name] = rng.choice(("past", "future", "past", "future", "naive"))
        if rng.random() < 0.5:
            args["order_by"] = rng.choice(ORDER_BYS)
        return args

    def other() -> Op:
        kind = rng.choice(
            (
                *("get", "update", "update", "set_state", "set_note", "list", "list", "list"),
                *("count", "count", "clear", "delete", "upstream_events", "trigger"),
            )
        )
        if kind == "trigger":
            return trigger()
        if kind in ("get", "clear", "delete", "upstream_events"):
            return op(kind, run=some_run())
        if kind == "set_state":
            return op(kind, run=some_run(), state=rng.choice(STATES))
        if kind == "set_note":
            return op(kind, run=some_run(), note=rng.choice(list(NOTES)))
        if kind == "update":
            args: dict[str, Any] = {"run": some_run()}
            if rng.random() < 0.8:
                args["state"] = rng.choice(STATES)
            if rng.random() < 0.6 or "state" not in args:
                args["note"] = rng.choice(list(NOTES))
            return op(kind, **args)
        args = filters()
        if kind == "list":
            args["limit"] = rng.choice(LIMITS)
            args["page_size"] = rng.choice(PAGE_SIZES)
        return op(kind, **args)

    for _ in range(rng.choice((2, 3, 4))):
        sequence.append(trigger())
    while len(sequence) < length:
        sequence.append(other())
    return sequence


# -- resolution: symbols -> arguments of one execution -------------------------------------


@dataclass(frozen=True)
class Context:
    """One execution of a sequence on one target: its tag (in every run id it creates) and
    its logical-date window. Normalization maps both back to symbols."""

    tag: str
    base: datetime

    @classmethod
    def new(cls) -> Context:
        token = uuid.uuid4()
        slot = timedelta(minutes=WINDOW_MINUTES * (token.int % WINDOW_CHOICES))
        return cls(f"dx{token.hex[:8]}", WINDOW_START + slot)

    def run_id(self, handle: str, shape: str | None) -> str | None:
        if shape is None:
            return None
        stem = f"{self.tag}-{handle}{RUN_ID_SHAPES[shape]}"
        if shape.startswith("long"):
            return stem.ljust(int(shape[4:]), "L")
        return stem

    def at(self, minute: int) -> datetime:
        return self.base + timedelta(minutes=minute)

    def logical_date(self, minute: int | str | None) -> datetime | None:
        if minute is None:
            return None
        if minute == "naive":
            return self.at(0).replace(tzinfo=None)
        assert isinstance(minute, int)
        return self.at(minute)

    def interval(self, kind: str | None, minute: int | str | None) -> tuple[datetime, datetime]:
        at = self.at(minute if isinstance(minute, int) else 0)
        if kind == "inverted":
            return at, at - timedelta(minutes=1)
        return at - timedelta(minutes=1), at

    def state(self, symbol: str) -> DagRunState | str:
        if symbol.startswith("enum:"):
            return DagRunState(symbol[5:])
        return symbol

    def filters(self, o: Op) -> tuple[str, dict[str, Any]]:
        """(dag_id, filters) of a list/count op; the window bounds are always there."""
        dag = o.get("dag")
        unknown = f"{self.tag}-no-such-dag"
        dag_id = {"plain": PLAIN, "unknown": unknown}.get(dag, "~")
        found: dict[str, Any] = {}
        if dag == "ids":
            found["dag_ids"] = [PLAIN, CONSUMER]
        elif dag == "ids_plain":
            found["dag_ids"] = [PLAIN]
        elif dag == "ids_unknown":
            found["dag_ids"] = [PLAIN, unknown]
        lo, hi = o.get("window")
        found["logical_date_gte"], found["logical_date_lte"] = self.at(lo), self.at(hi)
        for name in ("states", "run_types", "order_by"):
            value = o.get(name)
            if value is not None:
                found[name] = list(value) if isinstance(value, tuple) else value
        for name, value in o.args:
            if name.rsplit("_", 1)[-1] in ("gte", "lte"):
                found[name] = BOUNDS[value]
        return dag_id, found
