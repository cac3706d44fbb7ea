"""Airflow 2.x, `/api/v1`: execution_date, setNote, datasets, HTTP Basic credentials."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from airflow_bridge.models import AssetEvent, DagRun, DagRunRef, RunType

from ._base import Adapter
from ._converter import WireFormat
from ._dates import format_datetime
from ._http import ApiRequest
from ._notes import NOTE
from ._wire_model import WireModel

#: Airflow 2 calls asset-triggered runs dataset-triggered (read and, as filters, written).
_RUN_TYPE_NAMES = {RunType.ASSET_TRIGGERED.value: "dataset_triggered"}
# Real 2.x servers name a created run's id `dag_run_id` (the spec's BasicDAGRun says run_id).
_wire = WireFormat(
    run_type_aliases={wire: RunType(name) for name, wire in _RUN_TYPE_NAMES.items()},
    renames={DagRunRef: {"run_id": "dag_run_id"}},
)


class V1Adapter(Adapter):
    api = "v1"
    first_release = "2.0.0"
    prefix = "/api/v1"
    health_path = "/api/v1/health"
    major = 2
    # From the 2.x changelogs, the seed client docs (2.0, 2.5, 2.6+) and the 2.10 spec;
    # the rows for 2.6+ are also checked on real servers (tests/real/test_capabilities.py).
    added_in: ClassVar[Mapping[str, str | None]] = {
        "order_by": "2.1.0",
        "set_state": "2.2.0",
        "update": "2.2.0",
        "states": "2.3.0",
        "clear": "2.4.0",
        "upstream_events": "2.4.0",
        "set_note": "2.5.0",
        "set_state_queued": "2.5.0",
        "note": "2.5.0",
        "updated_at_gte": "2.6.0",
        "updated_at_lte": "2.6.0",
        "data_interval": "2.9.0",
        "run_types": None,
        "run_after_gte": None,
        "run_after_lte": None,
        "only_failed": None,
        "order_by_several": None,
        "order_by_several_with_dag_ids": None,
        "run_id_pattern": None,
        "dag_id_pattern": None,
        "cursor_pagination": None,
        # client.dags / client.task_instances: from the "New in version" notes of the 2.10
        # spec (tags 2.2.0, paused 2.6.0, the /{map_index} paths 2.3.0); dag_id_pattern from
        # the 2.3.0 changelog; clearTaskInstances' dag_run_id from apache/airflow#23516,
        # first released in 2.4.0. Seen working on 2.10.5 (tests/real/test_runbook_real.py).
        # The recordings of 2.6.3 to 2.11.2 confirm paused (2.6.3 drops the paused DAG), tags,
        # dag_id_pattern and the run-scoped clear there, and the live runbook passes on 2.6.3,
        # 2.7.3, 2.8.4 and 2.9.3; the rows before 2.6 stay derived. 2.6 answers a real clear
        # with the instances its query still matches after clearing ([] for only_failed).
        "dags.list.tags": "2.2.0",
        "dags.list.dag_id_pattern": "2.3.0",
        "dags.list.paused": "2.6.0",
        "task_instances.map_index": "2.3.0",
        "task_instances.clear": "2.4.0",
    }
    list_dates: ClassVar[Mapping[str, str]] = {
        **{
            f"{f}_{b}": f"{f}_{b}"
            for f in ("start_date", "end_date", "updated_at")
            for b in ("gte", "lte")
        },
        "logical_date_gte": "execution_date_gte",
        "logical_date_lte": "execution_date_lte",
    }
    batch_dates: ClassVar[Mapping[str, str]] = {
        k: v for k, v in list_dates.items() if not k.startswith("updated_at")
    }
    order_fields: ClassVar[Mapping[str, str]] = {
        "id": "id",
        "state": "state",
        "dag_id": "dag_id",
        "run_id": "dag_run_id",
        "logical_date": "execution_date",
        "start_date": "start_date",
        "end_date": "end_date",
        "updated_at": "updated_at",
    }
    events_path = "upstreamDatasetEvents"
    events_key = "dataset_events"
    run_type_names: ClassVar[Mapping[str, str]] = _RUN_TYPE_NAMES
    # airflow/models/dagrun.py of 2.10.5 (the pattern setting exists since 2.6.3). A refused
    # run_id is an unhandled ValueError there: an HTML 500 page (seen on 2.10.5).
    run_id_patterns = (
        r"^[A-Za-z0-9_.~:+-]+$",
        r"^(?:manual|scheduled|dataset_triggered)__(?:\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00)$",
    )
    run_id_refusal = 500
    missing_run_lists_no_task_instances = True
    run_model = WireModel(
        _wire,
        DagRun,
        renames={"run_id": "dag_run_id"},
        catch_all="extra",
        consumed={"execution_date"},
        context=("api", "server"),
        conversions={"note": NOTE},
        fallbacks={"logical_date": "execution_date"},  # before 2.2 only execution_date existed
    )
    event_model = WireModel(
        _wire,
        AssetEvent,
        renames={
            "uri": "dataset_uri",
            "asset_id": "dataset_id",
            "created_dag_runs": "created_dagruns",
        },
        catch_all="other_fields",
    )

    def _put_logical_date(self, body: dict[str, Any], logical_date: datetime | None) -> None:
        # v1 refuses `"logical_date": null`: omit the key to let the server choose.
        if logical_date is not None:
            name = "logical_date" if self._version_at_least("2.2.0") else "execution_date"
            body[name] = format_datetime("logical_date", logical_date)

    def confirm_dag(self, dag_id: str) -> ApiRequest | None:
        # v1 lists an unknown DAG's runs as an empty 200; GET /dags/{id} tells 404 apart.
        return None if dag_id == "~" else ApiRequest("GET", self.path("dags", dag_id))

    def update(
        self, dag_id: str, run_id: str, *, state: str | None, note: str | None
    ) -> list[ApiRequest]:
        # Two endpoints on v1: the state PATCH, then setNote.
        requests = []
        if state is not None:
            self.require("set_state_queued" if state == "queued" else "set_state")
            requests.append(
                ApiRequest("PATCH", self.run_path(dag_id, run_id), json={"state": state})
            )
        if note is not None:
            self.require("set_note")
            requests.append(
                ApiRequest("PATCH", self.run_path(dag_id, run_id, "setNote"), json={"note": note})
            )
        return requests
