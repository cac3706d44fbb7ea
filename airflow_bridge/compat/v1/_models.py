"""The apache-airflow-client 2.x DAG run models (names and fields of its `model.*` modules),
and the translation of the facade's models into them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from airflow_bridge import AssetEvent, DagRun, RunType
from airflow_bridge.compat._model import Model, WireValue

_STATES = frozenset({"queued", "running", "success", "failed"})


class DagState(WireValue):
    """A run's state (`run.state.value == "success"`; also equal to the plain string)."""

    allowed_values = _STATES


class DAGRun(Model):
    """A DAG run: trigger it with `post_dag_run`, read it from every call that returns one."""

    _fields = (
        "conf",
        "dag_id",
        "dag_run_id",
        "data_interval_end",
        "data_interval_start",
        "end_date",
        "execution_date",
        "external_trigger",
        "last_scheduling_decision",
        "logical_date",
        "note",
        "run_type",
        "start_date",
        "state",
    )
    _allowed: ClassVar[Mapping[str, frozenset[str]]] = {
        "run_type": frozenset({"backfill", "manual", "scheduled", "dataset_triggered"})
    }


class DAGRunCollection(Model):
    _fields = ("dag_runs", "total_entries")


class UpdateDagRunState(Model):
    _fields = ("state",)
    _allowed: ClassVar[Mapping[str, frozenset[str]]] = {
        "state": frozenset({"success", "failed", "queued"})
    }


class SetDagRunNote(Model):
    _fields = ("note",)


class ClearDagRun(Model):
    _fields = ("dry_run",)


class ListDagRunsForm(Model):
    _fields = (
        "dag_ids",
        "end_date_gte",
        "end_date_lte",
        "execution_date_gte",
        "execution_date_lte",
        "order_by",
        "page_limit",
        "page_offset",
        "start_date_gte",
        "start_date_lte",
        "states",
    )


class BasicDAGRun(Model):
    """A run an upstream dataset event created (only the fields the facade keeps are set)."""

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


class DatasetEvent(Model):
    _fields = (
        "created_dagruns",
        "dataset_id",
        "dataset_uri",
        "extra",
        "source_dag_id",
        "source_map_index",
        "source_run_id",
        "source_task_id",
        "timestamp",
    )


class DatasetEventCollection(Model):
    _fields = ("dataset_events", "total_entries")


class TaskInstanceReference(Model):
    _fields = ("dag_id", "dag_run_id", "execution_date", "task_id")


class TaskInstanceReferenceCollection(Model):
    _fields = ("task_instances",)


class Error(Model):
    _fields = ("detail", "instance", "status", "title", "type")


def run_type_name(run_type: RunType | str | None) -> str | None:
    """Airflow 2's name: the facade's normalized ASSET_TRIGGERED is `dataset_triggered`."""
    if run_type is None:
        return None
    if run_type == RunType.ASSET_TRIGGERED:
        return "dataset_triggered"
    return str(run_type)


def run_model(run: DagRun) -> DAGRun:
    """The 2.x model of a facade run. `external_trigger` is the server's value on Airflow 2;
    Airflow 3 dropped the field, and there it is `run_type == "manual"`, which is what
    Airflow 2 set it from (API, CLI and UI triggers are manual runs)."""
    values: dict[str, Any] = {k: v for k, v in run.extra.items() if k not in DAGRun._fields}
    values.update(
        conf=dict(run.conf),
        dag_id=run.dag_id,
        dag_run_id=run.run_id,
        data_interval_end=run.data_interval_end,
        data_interval_start=run.data_interval_start,
        end_date=run.end_date,
        execution_date=run.logical_date,
        external_trigger=run.extra.get("external_trigger", run.run_type == RunType.MANUAL),
        last_scheduling_decision=run.last_scheduling_decision,
        logical_date=run.logical_date,
        note=run.note,
        run_type=run_type_name(run.run_type),
        start_date=run.start_date,
        state=None if run.state is None else DagState(run.state),
    )
    return DAGRun.from_server(values)


def event_model(event: AssetEvent) -> DatasetEvent:
    created = [
        BasicDAGRun.from_server(
            {
                "dag_id": ref.dag_id,
                "run_id": ref.run_id,
                "logical_date": ref.logical_date,
                "state": None if ref.state is None else DagState(ref.state),
            }
        )
        for ref in event.created_dag_runs
    ]
    return DatasetEvent.from_server(
        {
            "created_dagruns": created,
            "dataset_id": event.asset_id,
            "dataset_uri": event.uri,
            "extra": dict(event.extra),
            "source_dag_id": event.source_dag_id,
            "source_map_index": event.source_map_index,
            "source_run_id": event.source_run_id,
            "source_task_id": event.source_task_id,
            "timestamp": event.timestamp,
        }
    )
