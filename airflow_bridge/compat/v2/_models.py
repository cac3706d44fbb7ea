"""The apache-airflow-client 3.x DAG run models (names and fields of its `models.*`), and the
translation of the facade's models into them. As in the official (pydantic) models, a field
that was not set reads as None and `to_dict()` leaves None values out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from airflow_bridge import AssetEvent, ClearedTaskInstance, ClearResult, DagRun
from airflow_bridge.compat._model import Model, WireValue

E = TypeVar("E", bound=Enum)


class DagRunState(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"


class DagRunMutableStates(str, Enum):
    QUEUED = "queued"
    SUCCESS = "success"
    FAILED = "failed"


class DagRunType(str, Enum):
    BACKFILL = "backfill"
    SCHEDULED = "scheduled"
    MANUAL = "manual"
    OPERATOR_TRIGGERED = "operator_triggered"
    ASSET_TRIGGERED = "asset_triggered"
    ASSET_MATERIALIZATION = "asset_materialization"


class DagRunTriggeredByType(str, Enum):
    CLI = "cli"
    OPERATOR = "operator"
    REST_API = "rest_api"
    UI = "ui"
    TEST = "test"
    TIMETABLE = "timetable"
    ASSET = "asset"
    BACKFILL = "backfill"


class _Model3(Model):
    _unset_is_none = True
    _to_dict_drops_none = True


class DAGRunResponse(_Model3):
    _fields = (
        "bundle_version",
        "conf",
        "dag_display_name",
        "dag_id",
        "dag_run_id",
        "dag_versions",
        "data_interval_end",
        "data_interval_start",
        "duration",
        "end_date",
        "last_scheduling_decision",
        "logical_date",
        "note",
        "queued_at",
        "run_after",
        "run_type",
        "start_date",
        "state",
        "triggered_by",
        "triggering_user_name",
    )


class DAGRunCollectionResponse(_Model3):
    _fields = ("dag_runs", "total_entries")


class TriggerDAGRunPostBody(_Model3):
    _fields = (
        "conf",
        "dag_run_id",
        "data_interval_end",
        "data_interval_start",
        "logical_date",
        "note",
        "run_after",
    )


class DAGRunPatchBody(_Model3):
    _fields = ("note", "state")
    _allowed: ClassVar[Mapping[str, frozenset[str]]] = {
        "state": frozenset(s.value for s in DagRunMutableStates)
    }


class DAGRunClearBody(_Model3):
    _fields = ("dry_run", "note", "only_failed", "only_new", "run_on_latest_version")


class DAGRunsBatchBody(_Model3):
    _fields = (
        "dag_ids",
        "end_date_gte",
        "end_date_lte",
        "logical_date_gte",
        "logical_date_lte",
        "order_by",
        "page_limit",
        "page_offset",
        "run_after_gte",
        "run_after_lte",
        "start_date_gte",
        "start_date_lte",
        "states",
    )


class DagRunAssetReference(_Model3):
    _fields = (
        "dag_id",
        "data_interval_end",
        "data_interval_start",
        "end_date",
        "logical_date",
        "run_id",
        "start_date",
        "state",
    )


class AssetEventResponse(_Model3):
    _fields = (
        "asset_id",
        "created_dagruns",
        "extra",
        "group",
        "id",
        "name",
        "source_dag_id",
        "source_map_index",
        "source_run_id",
        "source_task_id",
        "timestamp",
        "uri",
    )


class AssetEventCollectionResponse(_Model3):
    _fields = ("asset_events", "total_entries")


class DagVersionResponse(_Model3):
    _fields = (
        "bundle_name",
        "bundle_url",
        "bundle_version",
        "created_at",
        "dag_display_name",
        "dag_id",
        "id",
        "version_number",
    )


class TaskInstanceResponse(_Model3):
    """A task instance a clear touched, with every field the server sent (dates as datetimes,
    `id` as a UUID, `dag_version` as a model). Airflow 2's dry run sends only references, so
    there the fields beyond dag_id, dag_run_id, task_id, map_index and logical_date are None."""

    _fields = (
        "dag_display_name",
        "dag_id",
        "dag_run_id",
        "dag_version",
        "duration",
        "end_date",
        "executor",
        "executor_config",
        "hostname",
        "id",
        "logical_date",
        "map_index",
        "max_tries",
        "note",
        "operator",
        "operator_name",
        "pid",
        "pool",
        "pool_slots",
        "priority_weight",
        "queue",
        "queued_when",
        "rendered_fields",
        "rendered_map_index",
        "run_after",
        "scheduled_when",
        "start_date",
        "state",
        "task_display_name",
        "task_id",
        "trigger",
        "triggerer_job",
        "try_number",
        "unixname",
    )


class TaskInstanceCollectionResponse(_Model3):
    _fields = ("task_instances", "total_entries")


class ClearTaskInstanceCollectionResponse(TaskInstanceCollectionResponse):
    """What a dry-run clear returns (the 3.3 client's name)."""


class ResponseClearDagRun(_Model3):
    """What clear_dag_run returns: `actual_instance` is a ClearTaskInstanceCollectionResponse
    (dry run) or a DAGRunResponse."""

    _fields = ("actual_instance",)


def _enum(enum: type[E], value: Any) -> E | WireValue | None:
    if value is None:
        return None
    try:
        return enum(str(value))
    except ValueError:
        return WireValue(value)


def run_model(run: DagRun) -> DAGRunResponse:
    """The 3.x model of a facade run. From an Airflow 2 server, the fields Airflow 2 has no
    equivalent for (run_after, triggered_by, dag_versions, ...) are None."""
    duration = run.duration
    values: dict[str, Any] = {k: v for k, v in run.extra.items() if k not in DAGRunResponse._fields}
    values.update(
        bundle_version=run.bundle_version,
        conf=dict(run.conf),
        dag_display_name=run.dag_display_name,
        dag_id=run.dag_id,
        dag_run_id=run.run_id,
        dag_versions=run.extra.get("dag_versions"),
        data_interval_end=run.data_interval_end,
        data_interval_start=run.data_interval_start,
        duration=run.extra.get("duration", None if duration is None else duration.total_seconds()),
        end_date=run.end_date,
        last_scheduling_decision=run.last_scheduling_decision,
        logical_date=run.logical_date,
        note=run.note,
        queued_at=run.queued_at,
        run_after=run.run_after,
        run_type=_enum(DagRunType, run.run_type),
        start_date=run.start_date,
        state=_enum(DagRunState, run.state),
        triggered_by=_enum(DagRunTriggeredByType, run.triggered_by),
        triggering_user_name=run.triggering_user,
    )
    return DAGRunResponse.from_server(values)


def event_model(event: AssetEvent) -> AssetEventResponse:
    created = [
        DagRunAssetReference.from_server(
            {
                "dag_id": ref.dag_id,
                "run_id": ref.run_id,
                "logical_date": ref.logical_date,
                "state": None if ref.state is None else str(ref.state),
            }
        )
        for ref in event.created_dag_runs
    ]
    return AssetEventResponse.from_server(
        {
            "asset_id": event.asset_id,
            "created_dagruns": created,
            "extra": dict(event.extra),
            "group": event.group,
            "id": event.other_fields.get("id"),
            "name": event.name,
            "source_dag_id": event.source_dag_id,
            "source_map_index": event.source_map_index,
            "source_run_id": event.source_run_id,
            "source_task_id": event.source_task_id,
            "timestamp": event.timestamp,
            "uri": event.uri,
        }
    )


_TI_DATES = frozenset(
    {"end_date", "logical_date", "queued_when", "run_after", "scheduled_when", "start_date"}
)


def _wire(name: str, value: Any) -> Any:
    """A cleared task instance's wire value as the official model types it."""
    if value is None:
        return None
    if name in _TI_DATES or name == "created_at":
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if name == "id" and isinstance(value, str):
        return UUID(value)
    if name == "dag_version" and isinstance(value, Mapping):
        return DagVersionResponse.from_server({k: _wire(k, v) for k, v in value.items()})
    return value


def _ti_model(ti: ClearedTaskInstance) -> TaskInstanceResponse:
    sent = dict(ti.extra)
    if "execution_date" in sent:  # Airflow 2's reference names the logical date so
        sent.setdefault("logical_date", sent.pop("execution_date"))
    sent.update(
        dag_id=ti.dag_id,
        dag_run_id=ti.run_id,
        map_index=ti.map_index,
        state=None if ti.state is None else WireValue(ti.state),  # `.value`, as the enum has
        task_id=ti.task_id,
    )
    return TaskInstanceResponse.from_server({k: _wire(k, v) for k, v in sent.items()})


def clear_model(result: ClearResult) -> ResponseClearDagRun:
    if result.dag_run is not None:
        return ResponseClearDagRun.from_server({"actual_instance": run_model(result.dag_run)})
    tis = [_ti_model(ti) for ti in result.task_instances]
    collection = ClearTaskInstanceCollectionResponse.from_server(
        {"task_instances": tis, "total_entries": len(tis)}
    )
    return ResponseClearDagRun.from_server({"actual_instance": collection})
