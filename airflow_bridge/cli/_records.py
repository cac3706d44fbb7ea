"""Results as records: the documented JSON/CSV shape of each kind of thing the CLI prints.

- a run: `DagRun.to_dict()` (every field of the model: server, api, dag_id, run_id, state,
  run_type, logical_date, run_after, queued_at, start_date, end_date, data_interval_start,
  data_interval_end, last_scheduling_decision, conf, note, triggered_by, triggering_user,
  bundle_version, dag_display_name, extra);
- a run being waited for (`wait`): the run's fields plus `timed_out` (true when it was still
  going at --timeout: its state is the last one seen) and `failed_tasks` (a failed run's
  failed task instances, else null);
- a server (`probe`): server, url, version, api, auth (basic: Airflow 2's; token login:
  Airflow 3's, from the username and password; token; or a scheme's class such as
  KerberosAuth), auth_ok, healthy, health, unhealthy (the components not healthy),
  latency_ms, problem (null, "unreachable", "auth refused" or "unhealthy") and error (the reason);
- a deletion (`delete`): server, dag_id, run_id, deleted, status ("deleted", "not found" or
  the error's type);
- a task instance a clear touched: server, dag_id, run_id, task_id, map_index, state;
- a DAG (`dags list/pause/unpause`): every `Dag` field (server, api, dag_id, is_paused,
  is_stale, tags, owners, schedule, description, fileloc, next_logical_date, next_run_after,
  next_data_interval_start, next_data_interval_end, has_import_errors, extra);
- a task instance (`runs tasks`): every `TaskInstance` field (server, api, dag_id, run_id,
  task_id, map_index, state, try_number, max_tries, start_date, end_date, duration (seconds),
  operator, hostname, queue, pool, note, extra);
- a log record (`runs logs`): server, dag_id, run_id, task_id, map_index, try_number (as
  asked; null: the latest try), timestamp, level, source, message, extra;
- an asset event (`events`): server, uri, name, group, timestamp, source_dag_id,
  source_task_id, source_run_id, source_map_index, extra.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs
from rich.text import Text

from airflow_bridge import AssetEvent, ClearedTaskInstance, Dag, DagRun, LogRecord, TaskInstance
from airflow_bridge.fleet import FleetResult, ServerStatus

from ._render import MISSING, Column, seconds, state, when

#: The JSON keys and CSV header: every DagRun field, where it came from first.
RUN_FIELDS = (
    "server",
    "api",
    *(f.name for f in attrs.fields(DagRun) if f.name not in ("server", "api")),
)
#: The keys that identify a run: never cut or dropped from a table.
IDENTIFYING = ("server", "dag_id", "run_id")
#: Short names for the table's narrow type column.
RUN_TYPES = {
    "asset_triggered": "asset",
    "operator_triggered": "operator",
    "asset_materialization": "materialize",
}
RUN_COLUMNS = (
    Column("server", "server", optional=False),
    Column("dag_id", "dag", optional=False),
    Column("run_id", "run id", optional=False),
    Column("state", "state", state),
    Column("run_type", "type", lambda value: RUN_TYPES.get(value, value)),
    Column("logical_date", "logical", when),
    Column("start_date", "start", when),
    Column("duration", "took", seconds),
    Column("note", "note", fold=True, max_width=16),
)


def run_record(run: DagRun) -> dict[str, Any]:
    """The run's `to_dict()` in RUN_FIELDS order (server and api first, as in CSV)."""
    data = run.to_dict()
    return {key: data[key] for key in RUN_FIELDS}


def run_rows(runs: list[DagRun]) -> list[dict[str, Any]]:
    """Table rows: the records plus the run's duration in seconds (tables only)."""
    rows = []
    for run in runs:
        row = run_record(run)
        row["duration"] = None if run.duration is None else run.duration.total_seconds()
        rows.append(row)
    return rows


STATUS_FIELDS = (
    "server",
    "url",
    "version",
    "api",
    "auth",
    "auth_ok",
    "healthy",
    "health",
    "unhealthy",
    "latency_ms",
    "problem",
    "error",
)
#: How a username and password are used, by API generation.
PASSWORD_AUTH = {"v1": "basic", "v2": "token login"}
PROBLEM_STYLES = {"unreachable": "bold red", "auth refused": "red", "unhealthy": "yellow"}
STATUS_COLUMNS = (
    Column("server", "server", optional=False),
    Column("problem", "status", lambda p: Text(p, style=PROBLEM_STYLES.get(p, "green"))),
    Column("version", "version"),
    Column("api", "api"),
    Column("auth", "auth"),
    Column("health_text", "health", fold=True, min_width=21, max_width=30),
    Column("latency_ms", "latency", lambda ms: f"{ms:.0f} ms"),
    Column("url", "url", fold=True),
    Column("error", "reason", fold=True),
)


def status_records(
    result: FleetResult[ServerStatus],
    urls: Mapping[str, str],
    auth: Mapping[str, str] | None = None,
    refusals: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """One record per server, failed ones included (with their error); `auth` names each
    server's scheme, `refusals` the server's reason for refusing the credentials."""
    found = {status.server: status for status in result}
    auth, refusals = auth or {}, refusals or {}
    records = []
    for name, outcome in result.outcomes.items():
        status = found.get(name)
        record: dict[str, Any] = dict.fromkeys(STATUS_FIELDS)
        record.update(server=name, url=urls[name], auth=auth.get(name))
        if status is None:
            record.update(
                problem="unreachable", error=f"{type(outcome.error).__name__}: {outcome.error}"
            )
        else:
            health = status.health
            unhealthy = [k for k, v in (health or {}).items() if v not in (None, "healthy")]
            problem = None
            if not status.auth_ok:
                problem = "auth refused"
            elif status.healthy is False:
                problem = "unhealthy"
            if record["auth"] == "password":  # as the detected generation uses it
                record["auth"] = PASSWORD_AUTH.get(status.api, "password")
            record.update(
                version=status.version,
                api=status.api,
                auth_ok=status.auth_ok,
                healthy=status.healthy,
                health=health,
                unhealthy=unhealthy,
                latency_ms=round(status.latency * 1000, 1),
                problem=problem,
                error=refusals.get(name),
            )
        records.append(record)
    return records


def status_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Table rows: the health as text, "ok" for a server without a problem."""
    return [
        {**record, "health_text": health_text(record), "problem": record["problem"] or "ok"}
        for record in records
    ]


def health_text(record: Mapping[str, Any]) -> str | None:
    """ "healthy", the unhealthy components with their status, or None (unknown)."""
    health = record.get("health")
    if health is None:
        return None
    if record.get("healthy"):
        return "healthy"
    return ", ".join(
        f"{part}: {status}" for part, status in health.items() if status not in (None, "healthy")
    )


TI_FIELDS = ("server", "dag_id", "run_id", "task_id", "map_index", "state")
TI_COLUMNS = (
    Column("server", "server", optional=False),
    Column("dag_id", "dag", optional=False),
    Column("run_id", "run id", optional=False),
    Column("task_id", "task", optional=False),
    Column("map_index", "map index"),
    Column("state", "state", state),
)


def ti_record(server: str, ti: ClearedTaskInstance) -> dict[str, Any]:
    return {"server": server, **attrs.asdict(ti)}


EVENT_FIELDS = (
    "server",
    "uri",
    "name",
    "group",
    "timestamp",
    "source_dag_id",
    "source_task_id",
    "source_run_id",
    "source_map_index",
    "extra",
)
EVENT_COLUMNS = (
    Column("server", "server", optional=False),
    Column("uri", "asset", fold=True),
    Column("timestamp", "when (UTC)", when),
    Column("source_dag_id", "from dag"),
    Column("source_run_id", "from run", fold=True),
)


DELETE_FIELDS = ("server", "dag_id", "run_id", "deleted", "status")
DELETE_COLUMNS = (
    *TI_COLUMNS[:3],
    Column("status", "status", lambda s: state("success" if s == "deleted" else "failed")),
)


def event_record(server: str, event: AssetEvent) -> dict[str, Any]:
    return {
        "server": server,
        "uri": event.uri,
        "name": event.name,
        "group": event.group,
        "timestamp": event.timestamp.isoformat(),
        "source_dag_id": event.source_dag_id,
        "source_task_id": event.source_task_id,
        "source_run_id": event.source_run_id,
        "source_map_index": event.source_map_index,
        "extra": dict(event.extra),
    }


def _plain(_inst: Any, _field: Any, value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping) and not isinstance(value, dict):
        return dict(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _fields(model: type) -> tuple[str, ...]:
    """A model's fields, server and api first (as in CSV)."""
    names = [f.name for f in attrs.fields(model)]
    return ("server", "api", *(n for n in names if n not in ("server", "api")))


def model_record(item: Dag | TaskInstance, fields: tuple[str, ...]) -> dict[str, Any]:
    data = attrs.asdict(item, value_serializer=_plain)
    return {key: data[key] for key in fields}


DAG_FIELDS = _fields(Dag)
DAG_COLUMNS = (
    Column("server", "server", optional=False),
    Column("dag_id", "dag", optional=False),
    Column("is_paused", "paused", lambda paused: "paused" if paused else "no"),
    Column("schedule", "schedule", fold=True, max_width=24),
    Column("next_run_after", "next run", when),
    Column("tags", "tags", lambda tags: ", ".join(tags) or MISSING, fold=True, max_width=20),
    Column(
        "owners", "owners", lambda owners: ", ".join(owners) or MISSING, fold=True, max_width=16
    ),
)

TASK_FIELDS = _fields(TaskInstance)
TASK_COLUMNS = (
    *TI_COLUMNS[:4],
    Column("map_index", "map", lambda index: "" if index == -1 else str(index), optional=False),
    Column("state", "state", state),
    Column("try_number", "try"),
    Column("start_date", "start", when),
    Column("duration", "took", seconds),
    Column("operator", "operator", fold=True, max_width=20),
    Column("hostname", "host", fold=True, max_width=20),
)

LOG_FIELDS = (
    "server",
    "dag_id",
    "run_id",
    "task_id",
    "map_index",
    "try_number",
    "timestamp",
    "level",
    "source",
    "message",
    "extra",
)

#: What a log line shows (tsv: these columns; a table prints `log_line`s instead).
LOG_COLUMNS = (
    Column("server", "server", optional=False),
    Column("timestamp", "timestamp"),
    Column("level", "level"),
    Column("source", "source"),
    Column("message", "message", fold=True),
)


def log_record(server: str, where: Mapping[str, Any], record: LogRecord) -> dict[str, Any]:
    """`where`: dag_id, run_id, task_id and map_index, as asked; the try is the record's own
    (the latest when no `--try` was given)."""
    return {
        "server": server,
        **where,
        "try_number": record.try_number,
        "timestamp": None if record.timestamp is None else record.timestamp.isoformat(),
        "level": record.level,
        "source": record.source,
        "message": record.message,
        "extra": dict(record.extra),
    }


def log_line(record: Mapping[str, Any], *, with_server: bool) -> str:
    """`timestamp level source message` (the parts a server gave), the server first when
    several answer."""
    parts = [record["timestamp"], record["level"], record["source"], record["message"]]
    text = " ".join(str(part) for part in parts if part not in (None, ""))
    return f"{record['server']} {text}" if with_server else text
