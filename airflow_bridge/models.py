"""The normalized models shared by both Airflow API generations: DagRun and its neighbours.

Plain frozen attrs classes: no I/O and no knowledge of either wire format (the adapters' cattrs
converters translate). Values a newer server invents (a state or run type this release does
not know) are kept as plain strings rather than rejected.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Literal, TypeVar

import attrs

E = TypeVar("E", bound=Enum)


class _StrEnum(str, Enum):
    """An enum whose members print as their wire value ("failed", not "DagRunState.FAILED")."""

    def __str__(self) -> str:
        return str(self.value)


class DagRunState(_StrEnum):
    """A DagRun's state; `running` is reported by servers but cannot be set through the API."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"


class RunType(_StrEnum):
    """Why a run exists; Airflow 2's `dataset_triggered` is normalized to ASSET_TRIGGERED."""

    MANUAL = "manual"
    SCHEDULED = "scheduled"
    BACKFILL = "backfill"
    ASSET_TRIGGERED = "asset_triggered"
    OPERATOR_TRIGGERED = "operator_triggered"
    ASSET_MATERIALIZATION = "asset_materialization"


def coerce_enum(enum: type[E], value: str | E) -> E | str:
    """The enum member for `value`, or `value` itself when this release does not know it."""
    try:
        return enum(value)
    except ValueError:
        return value


@attrs.frozen(kw_only=True)
class DagRun:
    """One DAG run, the same shape whichever Airflow generation reported it.

    `api` says which generation it came from and `server` which server (its base URL, or the
    name a fleet gave it). `extra` holds every field the server sent that has no normalized
    home here, so nothing a newer server adds is lost. `note` is None when the run has no
    note: Airflow 2 reports a note set to "" as "", Airflow 3 as null; both read as None.
    """

    dag_id: str
    run_id: str
    state: DagRunState | str | None = None
    run_type: RunType | str | None = None
    logical_date: datetime | None = None
    run_after: datetime | None = None
    queued_at: datetime | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    data_interval_start: datetime | None = None
    data_interval_end: datetime | None = None
    last_scheduling_decision: datetime | None = None
    conf: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    note: str | None = None
    triggered_by: str | None = None
    triggering_user: str | None = None
    bundle_version: str | None = None
    dag_display_name: str | None = None
    api: str = ""
    server: str = ""
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)

    @property
    def duration(self) -> timedelta | None:
        """Wall time from start to end; None while the run has not both started and ended."""
        if self.start_date is None or self.end_date is None:
            return None
        return self.end_date - self.start_date

    @property
    def execution_date(self) -> datetime | None:
        """Airflow 2's name for `logical_date`, kept so Airflow-2 code runs while it migrates."""
        warnings.warn(
            "DagRun.execution_date is deprecated (Airflow 3 removed it): use logical_date",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.logical_date

    @property
    def is_finished(self) -> bool:
        return self.state in (DagRunState.SUCCESS, DagRunState.FAILED)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ISO 8601 dates, enum values as strings."""
        return attrs.asdict(self, value_serializer=_json_value)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DagRun:
        """The inverse of `to_dict()` (for caches, queues and test data)."""
        values = dict(data)
        for name in _DATE_FIELDS:
            if values.get(name) is not None:
                values[name] = datetime.fromisoformat(values[name])
        if values.get("state") is not None:
            values["state"] = coerce_enum(DagRunState, values["state"])
        if values.get("run_type") is not None:
            values["run_type"] = coerce_enum(RunType, values["run_type"])
        return cls(**values)


_DATE_FIELDS = (
    "logical_date",
    "run_after",
    "queued_at",
    "start_date",
    "end_date",
    "data_interval_start",
    "data_interval_end",
    "last_scheduling_decision",
)


def _json_value(_inst: Any, _field: Any, value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


@attrs.frozen(kw_only=True)
class DagRunRef:
    """A light reference to a run, as asset events list the runs they created."""

    dag_id: str
    run_id: str
    state: DagRunState | str | None = None
    logical_date: datetime | None = None


@attrs.frozen(kw_only=True)
class AssetEvent:
    """An upstream event of a run: a dataset event (Airflow 2) or an asset event (Airflow 3).

    `extra` is the event's own extra payload as Airflow stores it; `other_fields` keeps any
    wire field without a home here.
    """

    uri: str
    timestamp: datetime
    name: str | None = None
    group: str | None = None
    asset_id: int | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    source_dag_id: str | None = None
    source_task_id: str | None = None
    source_run_id: str | None = None
    source_map_index: int | None = None
    created_dag_runs: tuple[DagRunRef, ...] = ()
    other_fields: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen(kw_only=True)
class ClearedTaskInstance:
    """A task instance that a clear touched (or would touch, on a dry run).

    `map_index` is -1 for a task that is not mapped, as Airflow 3 reports it. Airflow 2's dry
    run (2.10.5) lists neither map_index nor state: a task it lists once has -1, the instances
    of a mapped task (listed once each) have None, and `state` is always None there.
    `extra` keeps the server's other fields as sent: 2.10.5's dry run sends `execution_date`,
    3.3.2's the whole task instance (try_number, dates, ...).
    """

    dag_id: str
    run_id: str
    task_id: str
    map_index: int | None = None
    state: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen(kw_only=True)
class ClearResult:
    """What a clear did: the task instances it (would) clear, and the run after a real clear."""

    dry_run: bool
    task_instances: tuple[ClearedTaskInstance, ...] = ()
    dag_run: DagRun | None = None


@attrs.frozen(kw_only=True)
class ServerInfo:
    """What version detection learned about a server, and what that server can do.

    `version` is None when the API generation was given explicitly (`api="v1"`) and no probe
    ran; such a server is taken to be its generation's newest.
    """

    base_url: str
    api: str
    version: str | None = None
    git_version: str | None = None
    capabilities: frozenset[Capability] = attrs.field(default=frozenset(), repr=False)

    def supports(self, capability: Capability) -> bool:
        """Whether this server can do `capability` (a facade method name such as "clear" or
        "set_note", a trigger argument such as "note", or a filter such as "updated_at_gte");
        answered without a request."""
        return capability in self.capabilities

    @property
    def version_info(self) -> tuple[int, ...] | None:
        """The version as comparable integers ("2.10.5" -> (2, 10, 5)); pre-release tags cut."""
        return None if self.version is None else parse_version(self.version)


def parse_version(text: str) -> tuple[int, ...]:
    """A release as comparable integers ("2.10.5" -> (2, 10, 5), "3.0.0rc1" -> (3, 0, 0)):
    the leading numbers, up to the first piece that is not all digits; () for none. The
    package's one version parser (the adapters compare their `added_in` releases with it)."""
    parts: list[int] = []
    for piece in text.split("."):
        digits = ""
        for char in piece:
            if not char.isdigit():
                break
            digits += char
        if not digits:
            break
        parts.append(int(digits))
        if len(digits) != len(piece):
            break
    return tuple(parts)


@attrs.frozen(kw_only=True)
class Page:
    """One page of a list: the runs it held and the server's total across all pages.

    `total_entries` is None where a server leaves it out (Airflow 3.2.2 to 3.3.1 on keyset
    pages). `next_cursor` is the keyset token of the next page (None: no next page), and
    `has_cursors` whether the server's answer has keyset tokens at all (Airflow 3.2.2+).
    """

    runs: tuple[DagRun, ...]
    total_entries: int | None
    next_cursor: str | None = None
    has_cursors: bool = False


#: Everything a server may or may not be able to do (`ServerInfo.supports`), named as the
#: facade names it: its methods, trigger's optional arguments and the list filters.
Capability = Literal[
    "trigger",
    "get",
    "list",
    "count",
    "delete",
    "wait",
    "dag_ids",
    "set_state",
    "set_state_queued",
    "set_note",
    "update",
    "clear",
    "only_failed",
    "upstream_events",
    "note",
    "data_interval",
    "states",
    "run_types",
    "logical_date_gte",
    "logical_date_lte",
    "start_date_gte",
    "start_date_lte",
    "end_date_gte",
    "end_date_lte",
    "updated_at_gte",
    "updated_at_lte",
    "run_after_gte",
    "run_after_lte",
    "order_by",
    "order_by_several",
    "order_by_several_with_dag_ids",
    "run_id_pattern",
    "dag_id_pattern",
    "cursor_pagination",
    # the runbook beyond the run (client.dags, client.task_instances)
    "dags.get",
    "dags.list",
    "dags.list.paused",
    "dags.list.tags",
    "dags.list.dag_id_pattern",
    "dags.pause",
    "task_instances.list",
    "task_instances.get",
    "task_instances.map_index",
    "task_instances.logs",
    "task_instances.clear",
]

DATE_FILTERS = tuple(
    f"{field}_{bound}"
    for field in ("logical_date", "start_date", "end_date", "updated_at", "run_after")
    for bound in ("gte", "lte")
)
ORDER_FIELDS = (
    "id",
    "state",
    "dag_id",
    "run_id",
    "logical_date",
    "run_after",
    "start_date",
    "end_date",
    "updated_at",
)


@attrs.frozen(kw_only=True)
class RunQuery:
    """The filters of a run listing, normalized: the same names for both generations.

    `dates` maps a filter name of DATE_FILTERS (e.g. "logical_date_gte") to an aware datetime;
    `order_by` holds ORDER_FIELDS names, each optionally prefixed with "-" for descending.
    `dag_ids` (several DAGs at once) is None unless given.
    """

    dag_id: str = "~"
    dag_ids: tuple[str, ...] | None = None
    states: tuple[str, ...] = ()
    run_types: tuple[str, ...] = ()
    dates: Mapping[str, datetime] = attrs.field(factory=dict, hash=False)
    order_by: tuple[str, ...] = ()
    run_id_pattern: str | None = None
    dag_id_pattern: str | None = None


# -- the runbook beyond the run: DAGs, task instances and their logs (issue 16) ----------


@attrs.frozen(kw_only=True)
class Dag:
    """One DAG, the same shape from Airflow 2 and 3.

    `is_stale` is Airflow 3's name; Airflow 2 reports the opposite as `is_active`, and both
    properties answer on either generation. `schedule` is the server's readable description
    of the timetable (`timetable_description`), `next_run_after` when the scheduler next
    creates a run (Airflow 2: `next_dagrun_create_after`, 3: `next_dagrun_run_after`).
    `tags` are the tag names; `extra` holds every other field the server sent.
    """

    dag_id: str
    is_paused: bool | None = None
    is_stale: bool | None = None
    tags: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    schedule: str | None = None
    description: str | None = None
    fileloc: str | None = None
    next_logical_date: datetime | None = None
    next_run_after: datetime | None = None
    next_data_interval_start: datetime | None = None
    next_data_interval_end: datetime | None = None
    has_import_errors: bool | None = None
    api: str = ""
    server: str = ""
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)

    @property
    def is_active(self) -> bool | None:
        """Airflow 2's name: the DAG file is still there (the opposite of `is_stale`)."""
        return None if self.is_stale is None else not self.is_stale


@attrs.frozen(kw_only=True)
class TaskInstance:
    """One task instance of a run, the same shape from Airflow 2 and 3.

    `map_index` is -1 for a task that is not mapped. `try_number` is the try the instance is
    on or last ran: 0 for one that never ran (an upstream_failed task, seen on 2.10.5 and
    3.3.2), 1 after its first try. `duration` is in seconds as the server reports it.
    """

    dag_id: str
    run_id: str
    task_id: str
    map_index: int = -1
    state: str | None = None
    try_number: int = 0
    max_tries: int | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    duration: float | None = None
    operator: str | None = None
    hostname: str | None = None
    queue: str | None = None
    pool: str | None = None
    note: str | None = None
    api: str = ""
    server: str = ""
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)

    @property
    def elapsed(self) -> timedelta | None:
        """`duration` as a timedelta (None while unknown)."""
        return None if self.duration is None else timedelta(seconds=self.duration)


@attrs.frozen(kw_only=True)
class LogRecord:
    """One record of a task's log, the same shape from Airflow 2 and 3.

    Airflow 3 serves structured records; Airflow 2 serves text, whose lines are parsed here
    into records: a line `[<time>] {<file>:<line>} LEVEL - message` starts one, and the lines
    after it that do not start a record (a traceback) are part of its `message`. `level` is
    lower case ("info", "error"); `source` is "file:line" where the server says it.
    On Airflow 3 the text of an exception (its type and value) is appended to `message`, as
    Airflow 2's traceback text holds it. `extra` keeps the record's other structured fields.
    `try_number` is the try the record was read from (the latest when none was asked for);
    None on a record not read through `client.task_instances`.
    """

    message: str
    timestamp: datetime | None = None
    level: str | None = None
    source: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    try_number: int | None = None


@attrs.frozen(kw_only=True)
class LogChunk:
    """One answer of a task's log endpoint: its records and where to continue.

    `token` is the continuation token to ask for what comes next (None: the server gave
    none), `end_of_log` whether the server said the log is complete (None: it did not say).
    """

    records: tuple[LogRecord, ...]
    token: str | None = None
    end_of_log: bool | None = None
