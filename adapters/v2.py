"""Airflow 3.x, `/api/v2`: logical_date, PATCH with update_mask, assets, JWT login."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from airflow_bridge.errors import ApiError, AuthenticationError
from airflow_bridge.models import DATE_FILTERS, ORDER_FIELDS, AssetEvent, DagRun

from ._base import Adapter
from ._converter import WireFormat
from ._dates import format_datetime
from ._http import ApiRequest, Reply, error_message
from ._http import json_or_text as _json_or_text
from ._notes import NOTE
from ._wire_model import WireModel

_wire = WireFormat()


class V2Adapter(Adapter):
    api = "v2"
    first_release = "3.0.0"
    prefix = "/api/v2"
    health_path = "/api/v2/monitor/health"
    major = 3
    # From the 3.0.0 and 3.2.1 specs and the 3.x changelogs; checked on real 3.x servers.
    added_in: ClassVar[Mapping[str, str | None]] = {
        "order_by_several": "3.1.0",
        "order_by_several_with_dag_ids": None,
        "run_id_pattern": "3.1.0",
        "dag_id_pattern": "3.2.0",
        # `cursor`/`next_cursor` on the GET list: in the 3.2.2 release's code and recordings.
        "cursor_pagination": "3.2.2",
    }
    # 3.2.2 and 3.3.0 compare a null sort value like any other, so keyset pages sorted by a
    # nullable field lose runs; 3.3.1 places nulls as the database sorts them (release code).
    cursor_order_since: ClassVar[Mapping[str, str]] = {
        field: "3.3.1" for field in ("logical_date", "start_date", "end_date", "conf")
    }
    # The GET list (not the batch POST) lets runs with a null start/end date through these
    # bounds: every gte, and an lte not yet reached (seen live on 3.3.2; the recordings of
    # 3.0.6, 3.1.8, 3.2.2 and 3.3.2 show it for start_date_gte).
    loose_dates: ClassVar[frozenset[str]] = frozenset(
        f"{field}_{bound}" for field in ("start_date", "end_date") for bound in ("gte", "lte")
    )
    list_dates: ClassVar[Mapping[str, str]] = {name: name for name in DATE_FILTERS}
    batch_dates: ClassVar[Mapping[str, str]] = {
        k: v for k, v in list_dates.items() if not k.startswith("updated_at")
    }
    order_fields: ClassVar[Mapping[str, str]] = {name: name for name in ORDER_FIELDS}
    events_path = "upstreamAssetEvents"
    events_key = "asset_events"
    # airflow/models/dagrun.py of 3.3.2, which answers a refused run_id with a 400 naming
    # the configured pattern, and refuses ".." whatever the pattern (seen on 3.3.2).
    run_id_patterns = (
        r"^[A-Za-z0-9_.~:+-]+$",
        r"^(?:manual|scheduled|asset_triggered)__(?:\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00)$",
    )
    run_id_forbidden = ("..",)
    run_id_refusal = 400
    run_model = WireModel(
        _wire,
        DagRun,
        renames={"run_id": "dag_run_id", "triggering_user": "triggering_user_name"},
        catch_all="extra",
        consumed={"duration"},  # derived from start/end: DagRun.duration
        context=("api", "server"),
        conversions={"note": NOTE},
    )
    event_model = WireModel(
        _wire,
        AssetEvent,
        renames={"created_dag_runs": "created_dagruns"},
        catch_all="other_fields",
    )

    def login_request(self, username: str, password: str) -> ApiRequest | None:
        return ApiRequest("POST", "/auth/token", json={"username": username, "password": password})

    def token_rejected(self, reply: Reply) -> bool:
        # Expired tokens get 401 "Token Expired"; a token signed with another secret (the
        # server restarted with a new one) gets 403 "Invalid JWT token".
        if reply.status == 403:
            return error_message(_json_or_text(reply)) == "Invalid JWT token"
        return super().token_rejected(reply)

    def error_class(self, reply: Reply) -> type[ApiError]:
        # A token this server cannot verify is a credentials problem, though it answers 403.
        if reply.status == 403 and self.token_rejected(reply):
            return AuthenticationError
        return super().error_class(reply)

    def _put_logical_date(self, body: dict[str, Any], logical_date: datetime | None) -> None:
        # v2 requires the key (omitting it is a 422) but accepts null: "server chooses".
        body["logical_date"] = (
            None if logical_date is None else format_datetime("logical_date", logical_date)
        )

    def update(
        self, dag_id: str, run_id: str, *, state: str | None, note: str | None
    ) -> list[ApiRequest]:
        # One PATCH; update_mask must be repeated (a comma-joined mask is a silent no-op).
        body: dict[str, Any] = {}
        if state is not None:
            body["state"] = state
        if note is not None:
            body["note"] = note
        mask = tuple(("update_mask", name) for name in body)
        return [ApiRequest("PATCH", self.run_path(dag_id, run_id), mask, json=body)]
