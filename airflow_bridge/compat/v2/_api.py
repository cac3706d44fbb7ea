"""`DagRunApi` of apache-airflow-client 3.x, on the facade: the same methods, arguments and
return types, against Airflow 3 or Airflow 2."""

from __future__ import annotations

import warnings
from typing import Any

from airflow_bridge.compat import _calls
from airflow_bridge.compat._errors import ApiValueError, translated
from airflow_bridge.compat._lists import page
from airflow_bridge.compat._model import check_fields
from airflow_bridge.compat._session import ApiClient
from airflow_bridge.compat.v2._models import (
    AssetEventCollectionResponse,
    DAGRunClearBody,
    DAGRunCollectionResponse,
    DAGRunPatchBody,
    DAGRunResponse,
    DAGRunsBatchBody,
    ResponseClearDagRun,
    TriggerDAGRunPostBody,
    clear_model,
    event_model,
    run_model,
)

_ORDER_RENAMES = {"dag_run_id": "run_id"}
# The facade's argument names in its error messages, as a 3.x client caller writes them
# (order_by's fields keep the server's run_id, so only calls with a dag_run_id rename it)
_NAMES = {"run_id": "dag_run_id"}
_INTERVAL = {"data_interval start": "data_interval_start", "data_interval end": "data_interval_end"}
_DATES = tuple(
    f"{field}_{bound}"
    for field in ("logical_date", "start_date", "end_date", "updated_at", "run_after")
    for bound in ("gte", "lte")
)


def _filters(values: dict[str, Any], *, states_key: str, dates: tuple[str, ...]) -> dict[str, Any]:
    found = {name: values.get(name) for name in dates}
    found["states"] = _calls.list_filter(values.get(states_key))
    order = values.get("order_by")
    if isinstance(order, list | tuple):
        order = ",".join(order)
    found["order_by"] = _calls.order_by(order, _ORDER_RENAMES)
    return found


class DagRunApi:
    """The DAG run endpoints of the 3.x client (`airflow_client.client.api.dag_run_api`)."""

    def __init__(self, api_client: ApiClient | None = None) -> None:
        self.api_client = api_client or ApiClient()

    def get_dag_run(self, dag_id: str, dag_run_id: str, **kwargs: Any) -> DAGRunResponse:
        _calls.options("get_dag_run", kwargs, ())
        with translated(body_bytes=False, names=_NAMES):
            return run_model(self.api_client.bridge.dag_runs.get(dag_id, dag_run_id))

    def get_dag_runs(self, dag_id: str, **kwargs: Any) -> DAGRunCollectionResponse:
        """One page of a DAG's runs (`~` = all): limit (default 50), offset, the date
        `_gte`/`_lte` filters, state, run_type, order_by, run_id_pattern, dag_id_pattern."""
        accepted = (
            "limit",
            "offset",
            *_DATES,
            "state",
            "run_type",
            "order_by",
            "run_id_pattern",
            "dag_id_pattern",
        )
        opts = _calls.options("get_dag_runs", kwargs, accepted)
        filters = _filters(opts, states_key="state", dates=_DATES)
        filters.update(
            run_types=_calls.list_filter(opts.get("run_type")),
            run_id_pattern=opts.get("run_id_pattern"),
            dag_id_pattern=opts.get("dag_id_pattern"),
        )
        with translated(body_bytes=False, names={"states": "state", "run_types": "run_type"}):
            runs, total = page(
                self.api_client.bridge,
                dag_id,
                offset=opts.get("offset"),
                limit=opts.get("limit", 50),
                filters=filters,
            )
        return DAGRunCollectionResponse.from_server(
            {"dag_runs": [run_model(run) for run in runs], "total_entries": total}
        )

    def get_list_dag_runs_batch(
        self, dag_id: str, dag_runs_batch_body: DAGRunsBatchBody, **kwargs: Any
    ) -> DAGRunCollectionResponse:
        """One page of the runs of several DAGs; `dag_id` must be "~", as on the server."""
        _calls.options("get_list_dag_runs_batch", kwargs, ())
        if dag_id != "~":
            raise ApiValueError('get_list_dag_runs_batch lists across DAGs: dag_id must be "~"')
        check_fields(
            dag_runs_batch_body,
            DAGRunsBatchBody,
            can_send=DAGRunsBatchBody._fields,
            method="get_list_dag_runs_batch",
        )
        body = dag_runs_batch_body.set_fields()
        dates = tuple(name for name in _DATES if not name.startswith("updated_at"))
        filters = _filters(body, states_key="states", dates=dates)
        filters["dag_ids"] = _calls.list_filter(body.get("dag_ids"))
        with translated(body_bytes=False):
            runs, total = page(
                self.api_client.bridge,
                "~",
                offset=body.get("page_offset"),
                limit=body.get("page_limit") or 100,
                filters=filters,
                names=("page_offset", "page_limit"),
            )
        return DAGRunCollectionResponse.from_server(
            {"dag_runs": [run_model(run) for run in runs], "total_entries": total}
        )

    def trigger_dag_run(
        self, dag_id: str, trigger_dag_run_post_body: TriggerDAGRunPostBody, **kwargs: Any
    ) -> DAGRunResponse:
        """Trigger a run. `logical_date=None` is a run without a date on Airflow 3; Airflow 2
        cannot do that and dates the run now, so the layer warns there."""
        _calls.options("trigger_dag_run", kwargs, ())
        can_send = (
            "dag_run_id",
            "logical_date",
            "conf",
            "note",
            "data_interval_start",
            "data_interval_end",
        )
        check_fields(
            trigger_dag_run_post_body,
            TriggerDAGRunPostBody,
            can_send=can_send,
            method="trigger_dag_run",
        )
        body = trigger_dag_run_post_body.set_fields()
        start, end = body.get("data_interval_start"), body.get("data_interval_end")
        if (start is None) != (end is None):
            raise ApiValueError("data_interval_start and data_interval_end go together")
        with translated(body_bytes=False, names={**_NAMES, **_INTERVAL}):
            client = self.api_client.bridge
            if body.get("logical_date") is None and client.server.api == "v1":
                warnings.warn(
                    "Airflow 2 gives every run a logical date: this run is dated now, "
                    "not left without a date as Airflow 3 would",
                    UserWarning,
                    stacklevel=2,
                )
            run = client.dag_runs.trigger(
                dag_id,
                run_id=body.get("dag_run_id"),
                logical_date=body.get("logical_date"),
                conf=body.get("conf"),
                note=body.get("note"),
                data_interval=None if start is None or end is None else (start, end),
            )
        return run_model(run)

    def patch_dag_run(
        self,
        dag_id: str,
        dag_run_id: str,
        dag_run_patch_body: DAGRunPatchBody,
        update_mask: list[str] | None = None,
        **kwargs: Any,
    ) -> DAGRunResponse:
        """Set state and/or note: the fields in `update_mask`, else (None or []) the fields set
        in the body (one PATCH on Airflow 3; on Airflow 2, one call per field). With no field
        to update, the run as it is (one GET), as Airflow 3.3.2 answers such a PATCH."""
        _calls.options("patch_dag_run", kwargs, ())
        check_fields(
            dag_run_patch_body, DAGRunPatchBody, can_send=("state", "note"), method="patch_dag_run"
        )
        body = dag_run_patch_body.set_fields()
        # an empty mask sends no update_mask, so the server updates the body's fields (3.3.2)
        fields = list(update_mask) if update_mask else list(body)
        unknown = sorted(set(fields) - {"state", "note"})
        if unknown:
            raise ApiValueError(f"update_mask: only state and note can be updated, not {unknown}")
        if not fields:  # nothing to update: 3.3.2 answers 200 with the run unchanged
            with translated(body_bytes=False, names=_NAMES):
                return run_model(self.api_client.bridge.dag_runs.get(dag_id, dag_run_id))
        state = body.get("state") if "state" in fields else None
        note = body.get("note") if "note" in fields else None
        for name, value in (("state", state), ("note", note)):
            if name in fields and value is None:
                raise ApiValueError(f"{name}=None (clearing it) is not supported by airflow_bridge")
        with translated(body_bytes=False, names=_NAMES):
            run = self.api_client.bridge.dag_runs.update(
                dag_id,
                dag_run_id,
                state=None if state is None else str(getattr(state, "value", state)),
                note=note,
            )
        return run_model(run)

    def clear_dag_run(
        self, dag_id: str, dag_run_id: str, dag_run_clear_body: DAGRunClearBody, **kwargs: Any
    ) -> ResponseClearDagRun:
        """Clear a run; `dry_run` defaults to True, as on the server. `actual_instance` is the
        task instances (dry run) or the run."""
        _calls.options("clear_dag_run", kwargs, ())
        check_fields(
            dag_run_clear_body,
            DAGRunClearBody,
            can_send=("dry_run", "only_failed"),
            method="clear_dag_run",
        )
        body = dag_run_clear_body.set_fields()
        dry_run = body.get("dry_run")
        with translated(body_bytes=False, names=_NAMES):
            result = self.api_client.bridge.dag_runs.clear(
                dag_id,
                dag_run_id,
                dry_run=True if dry_run is None else bool(dry_run),
                only_failed=bool(body.get("only_failed")),
            )
        return clear_model(result)

    def delete_dag_run(self, dag_id: str, dag_run_id: str, **kwargs: Any) -> None:
        _calls.options("delete_dag_run", kwargs, ())
        with translated(body_bytes=False, names=_NAMES):
            self.api_client.bridge.dag_runs.delete(dag_id, dag_run_id)

    def get_upstream_asset_events(
        self, dag_id: str, dag_run_id: str, **kwargs: Any
    ) -> AssetEventCollectionResponse:
        """The asset events that triggered the run (dataset events, on Airflow 2)."""
        _calls.options("get_upstream_asset_events", kwargs, ())
        with translated(body_bytes=False, names=_NAMES):
            events = self.api_client.bridge.dag_runs.upstream_events(dag_id, dag_run_id)
        return AssetEventCollectionResponse.from_server(
            {"asset_events": [event_model(e) for e in events], "total_entries": len(events)}
        )
