"""`DAGRunApi` of apache-airflow-client 2.x, on the facade: the same methods, arguments and
return types, against Airflow 2 or Airflow 3."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from airflow_bridge import DagRun
from airflow_bridge.compat import _calls
from airflow_bridge.compat._errors import ApiValueError, translated
from airflow_bridge.compat._lists import page
from airflow_bridge.compat._model import check_fields, jsonable
from airflow_bridge.compat._session import ApiClient
from airflow_bridge.compat.v1._models import ClearDagRun as ClearDagRunBody
from airflow_bridge.compat.v1._models import (
    DAGRun,
    DAGRunCollection,
    DatasetEventCollection,
    ListDagRunsForm,
    SetDagRunNote,
    UpdateDagRunState,
    event_model,
    run_model,
)

_ORDER_RENAMES = {"execution_date": "logical_date", "dag_run_id": "run_id"}
_DATE_FILTERS = tuple(
    f"{field}_{bound}"
    for field in ("execution_date", "start_date", "end_date", "updated_at")
    for bound in ("gte", "lte")
)
# The facade's argument names in its error messages, as a 2.x client caller writes them
_NAMES = {"run_id": "dag_run_id"}
_LIST_NAMES = {
    **_NAMES,
    "logical_date_gte": "execution_date_gte",
    "logical_date_lte": "execution_date_lte",
    "logical_date": "execution_date",  # in order_by's list of fields
}
_BATCH = ("page_offset", "page_limit")


def _filters(values: dict[str, Any], *, states_key: str) -> dict[str, Any]:
    """The 2.x filter names in the facade's: execution_date_* are logical_date_*."""
    found = {
        name.replace("execution_date", "logical_date"): values.get(name) for name in _DATE_FILTERS
    }
    found["states"] = _calls.list_filter(values.get(states_key))
    found["order_by"] = _calls.order_by(values.get("order_by"), _ORDER_RENAMES)
    return found


class DAGRunApi:
    """The DAG run endpoints of the 2.x client (`airflow_client.client.api.dag_run_api`)."""

    def __init__(self, api_client: ApiClient | None = None) -> None:
        self.api_client = api_client or ApiClient()

    @staticmethod
    def _fields(opts: dict[str, Any]) -> list[str] | None:
        fields: list[str] | None = opts.get("fields")
        unknown = sorted(set(fields or ()) - set(DAGRun._fields))
        if unknown:
            raise ApiValueError(f"fields: unknown DAGRun field(s) {', '.join(unknown)}")
        return fields

    @staticmethod
    def _with(fields: list[str] | None, run: DagRun) -> DAGRun:
        model = run_model(run)
        if fields is None:
            return model
        return DAGRun.from_server({name: model.get(name) for name in fields})

    def get_dag_run(self, dag_id: str, dag_run_id: str, **kwargs: Any) -> DAGRun:
        """GET one run. `fields=[...]` keeps only those fields (as Airflow 2.9+ does)."""
        fields = self._fields(_calls.options("get_dag_run", kwargs, ("fields",)))
        with translated(body_bytes=True, names=_NAMES):
            return self._with(fields, self.api_client.bridge.dag_runs.get(dag_id, dag_run_id))

    def get_dag_runs(self, dag_id: str, **kwargs: Any) -> DAGRunCollection:
        """One page of a DAG's runs (`~` = all DAGs): limit (default 100), offset, the
        execution/start/end/updated_at `_gte`/`_lte` filters, state=[...], order_by, fields."""
        accepted = ("limit", "offset", *_DATE_FILTERS, "state", "order_by", "fields")
        opts = _calls.options("get_dag_runs", kwargs, accepted)
        fields = self._fields(opts)
        with translated(body_bytes=True, names={**_LIST_NAMES, "states": "state"}):
            runs, total = page(
                self.api_client.bridge,
                dag_id,
                offset=opts.get("offset"),
                limit=opts.get("limit", 100),
                filters=_filters(opts, states_key="state"),
            )
            models = [self._with(fields, run) for run in runs]
        return DAGRunCollection.from_server({"dag_runs": models, "total_entries": total})

    def get_dag_runs_batch(
        self, list_dag_runs_form: ListDagRunsForm, **kwargs: Any
    ) -> DAGRunCollection:
        """One page of the runs of several DAGs (`dag_ids`; all DAGs when not set)."""
        _calls.options("get_dag_runs_batch", kwargs, ())
        check_fields(
            list_dag_runs_form,
            ListDagRunsForm,
            can_send=ListDagRunsForm._fields,
            method="get_dag_runs_batch",
        )
        form = list_dag_runs_form.set_fields()
        filters = _filters(form, states_key="states")
        filters["dag_ids"] = _calls.list_filter(form.get("dag_ids"))
        with translated(body_bytes=True, names=_LIST_NAMES):
            runs, total = page(
                self.api_client.bridge,
                "~",
                offset=form.get("page_offset"),
                limit=form.get("page_limit") or 100,
                filters=filters,
                names=_BATCH,
            )
        return DAGRunCollection.from_server(
            {"dag_runs": [run_model(run) for run in runs], "total_entries": total}
        )

    def post_dag_run(self, dag_id: str, dag_run: DAGRun, **kwargs: Any) -> DAGRun:
        """Trigger a run. Without a date, Airflow 2 dates the run now; on Airflow 3 (where a
        run may have no date) this layer sends now, so `execution_date` is set as before."""
        _calls.options("post_dag_run", kwargs, ())
        can_send = (
            "dag_run_id",
            "logical_date",
            "execution_date",
            "conf",
            "note",
            "data_interval_start",
            "data_interval_end",
        )
        check_fields(dag_run, DAGRun, can_send=can_send, method="post_dag_run")
        body = dag_run.set_fields()
        date = body.get("logical_date")
        legacy = body.get("execution_date")
        if date is not None and legacy is not None and date != legacy:
            raise ApiValueError("logical_date and execution_date differ: give one of them")
        names = {**_NAMES, "data_interval start": "data_interval_start"}
        names["data_interval end"] = "data_interval_end"
        if date is None and legacy is not None:
            names["logical_date"] = "execution_date"
        date = date if date is not None else legacy
        start, end = body.get("data_interval_start"), body.get("data_interval_end")
        if (start is None) != (end is None):
            raise ApiValueError("data_interval_start and data_interval_end go together")
        with translated(body_bytes=True, names=names):
            client = self.api_client.bridge
            if date is None and client.server.api == "v2":
                date = datetime.now(timezone.utc)
            run = client.dag_runs.trigger(
                dag_id,
                run_id=body.get("dag_run_id"),
                logical_date=date,
                conf=body.get("conf"),
                note=body.get("note"),
                data_interval=None if start is None or end is None else (start, end),
            )
        return run_model(run)

    def update_dag_run_state(
        self, dag_id: str, dag_run_id: str, update_dag_run_state: UpdateDagRunState, **kwargs: Any
    ) -> DAGRun:
        _calls.options("update_dag_run_state", kwargs, ())
        check_fields(
            update_dag_run_state,
            UpdateDagRunState,
            can_send=("state",),
            method="update_dag_run_state",
        )
        with translated(body_bytes=True, names=_NAMES):
            run = self.api_client.bridge.dag_runs.set_state(
                dag_id, dag_run_id, str(update_dag_run_state.state)
            )
        return run_model(run)

    def set_dag_run_note(
        self, dag_id: str, dag_run_id: str, set_dag_run_note: SetDagRunNote, **kwargs: Any
    ) -> DAGRun:
        _calls.options("set_dag_run_note", kwargs, ())
        check_fields(set_dag_run_note, SetDagRunNote, can_send=("note",), method="set_dag_run_note")
        with translated(body_bytes=True, names=_NAMES):
            run = self.api_client.bridge.dag_runs.set_note(
                dag_id, dag_run_id, set_dag_run_note.note
            )
        return run_model(run)

    def clear_dag_run(
        self, dag_id: str, dag_run_id: str, clear_dag_run: ClearDagRunBody, **kwargs: Any
    ) -> dict[str, Any]:
        """Clear a run (`dry_run` defaults to True). Returns what the 2.x client returns, a
        plain dict: `{"task_instances": [...]}` on a dry run, else the run's JSON."""
        _calls.options("clear_dag_run", kwargs, ())
        check_fields(clear_dag_run, ClearDagRunBody, can_send=("dry_run",), method="clear_dag_run")
        dry_run = clear_dag_run.get("dry_run", True)
        with translated(body_bytes=True, names=_NAMES):
            runs = self.api_client.bridge.dag_runs
            result = runs.clear(dag_id, dag_run_id, dry_run=dry_run)
            if not dry_run:
                assert result.dag_run is not None
                return dict(jsonable(run_model(result.dag_run).to_dict()))
            date = runs.get(dag_id, dag_run_id).logical_date  # the refs' execution_date
        refs = [
            {
                "dag_id": ti.dag_id,
                "dag_run_id": ti.run_id,
                "execution_date": None if date is None else date.isoformat(),
                "task_id": ti.task_id,
            }
            for ti in result.task_instances
        ]
        return {"task_instances": refs}

    def delete_dag_run(self, dag_id: str, dag_run_id: str, **kwargs: Any) -> None:
        _calls.options("delete_dag_run", kwargs, ())
        with translated(body_bytes=True, names=_NAMES):
            self.api_client.bridge.dag_runs.delete(dag_id, dag_run_id)

    def get_upstream_dataset_events(
        self, dag_id: str, dag_run_id: str, **kwargs: Any
    ) -> DatasetEventCollection:
        """The dataset events that triggered the run (asset events, on Airflow 3)."""
        _calls.options("get_upstream_dataset_events", kwargs, ())
        with translated(body_bytes=True, names=_NAMES):
            events = self.api_client.bridge.dag_runs.upstream_events(dag_id, dag_run_id)
        return DatasetEventCollection.from_server(
            {"dataset_events": [event_model(e) for e in events], "total_entries": len(events)}
        )
