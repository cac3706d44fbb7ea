"""Results as records: the documented JSON/CSV shape of each kind of thing the CLI prints.

- a run: `DagRun.to_dict()` (every field of the model: server, api, dag_id, run_id, state,
  run_type, logical_date, run_after, queued_at, start_date, end_date, data_interval_start,
  data_interval_end, last_scheduling_decision, conf, note, triggered_by, triggering_user,
  bundle_version, dag_display_name, extra);
- a server (`probe`): server, url, version, api, auth_ok, healthy, health, latency_ms, error;
- a task instance a clear touched: server, dag_id, run_id, task_id, map_index, state;
- an asset event (`events`): server, uri, name, group, timestamp, source_dag_id,
  source_task_id, source_run_id, source_map_index, extra.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from airflow_bridge import AssetEvent, ClearedTaskInstance, DagRun
from airflow_bridge.fleet import FleetResult, ServerStatus

from ._render import Column, seconds, state, when

#: The CSV header: every DagRun field, where it came from first.
RUN_FIELDS = (
    "server",
    "api",
    *(f.name for f in attrs.fields(DagRun) if f.name not in ("server", "api")),
)
#: Short names for the table's narrow type column.
RUN_TYPES = {
    "asset_triggered": "asset",
    "operator_triggered": "operator",
    "asset_materialization": "materialize",
}
RUN_COLUMNS = (
    Column("server", "server", max_width=12),
    Column("dag_id", "dag", fold=True, max_width=20),
    Column("run_id", "run id", fold=True, min_width=18),
    Column("state", "state", state),
    Column("run_type", "type", lambda value: RUN_TYPES.get(value, value)),
    Column("logical_date", "logical", when),
    Column("start_date", "start", when),
    Column("duration", "took", seconds),
    Column("note", "note", fold=True, max_width=16),
)


def run_record(run: DagRun) -> dict[str, Any]:
    return run.to_dict()


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
    "auth_ok",
    "healthy",
    "health",
    "latency_ms",
    "error",
)
STATUS_COLUMNS = (
    Column("server", "server", max_width=14),
    Column("url", "url", fold=True),
    Column("version", "version"),
    Column("api", "api"),
    Column("auth_ok", "auth", lambda ok: state("success" if ok else "failed")),
    Column("health_text", "health", max_width=24),
    Column("latency_ms", "latency", lambda ms: f"{ms:.0f} ms"),
    Column("error", "error", fold=True),
)


def status_records(
    result: FleetResult[ServerStatus], urls: Mapping[str, str]
) -> list[dict[str, Any]]:
    """One record per server, failed ones included (with their error)."""
    found = {status.server: status for status in result}
    records = []
    for name, outcome in result.outcomes.items():
        status = found.get(name)
        if status is None:
            record: dict[str, Any] = dict.fromkeys(STATUS_FIELDS)
            record.update(
                server=name,
                url=urls[name],
                error=f"{type(outcome.error).__name__}: {outcome.error}",
            )
        else:
            record = {
                "server": name,
                "url": status.url,
                "version": status.version,
                "api": status.api,
                "auth_ok": status.auth_ok,
                "healthy": status.healthy,
                "health": status.health,
                "latency_ms": round(status.latency * 1000, 1),
                "error": None,
            }
        records.append(record)
    return records


def health_text(record: Mapping[str, Any]) -> str | None:
    health = record.get("health")
    if health is None:
        return None if record.get("error") else "unknown"
    if record.get("healthy"):
        return "healthy"
    return ", ".join(f"{part}: {status}" for part, status in health.items() if status != "healthy")


TI_FIELDS = ("server", "dag_id", "run_id", "task_id", "map_index", "state")
TI_COLUMNS = (
    Column("server", "server", max_width=14),
    Column("dag_id", "dag", max_width=18),
    Column("run_id", "run id", fold=True),
    Column("task_id", "task", fold=True),
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
    Column("server", "server", max_width=14),
    Column("uri", "asset", fold=True),
    Column("timestamp", "when (UTC)", when),
    Column("source_dag_id", "from dag", max_width=18),
    Column("source_run_id", "from run", fold=True),
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
