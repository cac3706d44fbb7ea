"""Airflow 3.x, `/api/v2`: a FastAPI server with JWT bearer tokens from `POST /auth/token`.

Order of checks, as FastAPI resolves a route: an undecodable JSON body (422), then the
token (401 missing or expired, 403 invalid) and permissions (403), then parameter and body
validation (422 with pydantic's error list), then the endpoint. Errors are `{"detail": ...}`;
`/api/v1/*` and unknown `/api/*` paths answer 404 `{"error": ...}`.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, ClassVar
from urllib.parse import parse_qsl

from airflow_bridge.testing import _jwt, _logs, _pages
from airflow_bridge.testing._api import Api, Listing
from airflow_bridge.testing._http import (
    Abort,
    Call,
    Request,
    Response,
    Route,
    html_response,
    json_response,
)
from airflow_bridge.testing._keyset import CursorError, keyset_page
from airflow_bridge.testing._pydantic import ErrorList, Field, validate_model, validation_repr
from airflow_bridge.testing._query import RunFilter, like, page, run_value
from airflow_bridge.testing._state import (
    FAILED,
    FINISHED,
    QUEUED,
    SUCCESS,
    AssetEvent,
    Dag,
    Run,
    TaskInstance,
)
from airflow_bridge.testing._task_instances import worker_fields

DEFAULT_PAGE = 50
MAX_PAGE = 100  # [api] maximum_page_limit
RUN_STATES = ("queued", "running", "success", "failed")
RUN_TYPES = (
    "backfill",
    "scheduled",
    "manual",
    "operator_triggered",
    "asset_triggered",
    "asset_materialization",
)
RUN_ID_PATTERN = r"^[A-Za-z0-9_.~:+-]+$"
DEFAULT_RUN_ID_PATTERN = (
    r"^(?:manual|scheduled|asset_triggered)__(?:\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00)$"
)
#: order_by names -> run attributes (3.3.2's SortParam list and alias)
SORTABLE = {n: n for n in ("id", "state", "dag_id", "run_id", "logical_date", "partition_date")}
SORTABLE |= {n: n for n in ("run_after", "start_date", "end_date", "updated_at", "conf")}
SORTABLE |= {"duration": "duration", "dag_run_id": "run_id"}
BATCH_SORTABLE = {k: v for k, v in SORTABLE.items() if k not in ("partition_date", "duration")}
PATTERNS = {"run_id": "run_id", "dag_id": "dag_id", "triggering_user_name": "triggering_user"}
RANGES = ("run_after", "logical_date", "start_date", "end_date", "updated_at", "duration")
TRIGGER_BODY = {
    "dag_run_id": Field("str"),
    "data_interval_start": Field("aware"),
    "data_interval_end": Field("aware"),
    "logical_date": Field("aware", required=True),
    "run_after": Field("datetime"),
    "conf": Field("dict"),
    "note": Field("str"),
    "partition_key": Field("str"),
}
PATCH_BODY = {
    "state": Field("enum", enum=(QUEUED, SUCCESS, FAILED)),
    "note": Field("str", max_length=1000),
}
CLEAR_BODY = {
    "dry_run": Field("bool", nullable=False),
    "only_failed": Field("bool", nullable=False),
    "only_new": Field("bool", nullable=False),
    "run_on_latest_version": Field("bool"),
    "note": Field("str", max_length=1000),
}
BATCH_BODY = {
    "order_by": Field("str"),
    "page_offset": Field("int", nullable=False),
    "page_limit": Field("int", nullable=False),
    "dag_ids": Field("str_list"),
    "states": Field("enum_list", enum=RUN_STATES),
    **{
        f"{column}_{op}": Field("float" if column == "duration" else "aware")
        for column in ("run_after", "logical_date", "start_date", "end_date", "duration")
        for op in ("gte", "gt", "lte", "lt")
    },
    "conf_contains": Field("str"),
}
CLEAR_TIS_BODY = {  # ClearTaskInstancesBody (3.3.2)
    **dict.fromkeys(
        ("dry_run", "only_failed", "only_running", "reset_dag_runs", "include_upstream"),
        Field("bool", nullable=False),
    ),
    **dict.fromkeys(
        ("include_downstream", "include_future", "include_past", "run_on_latest_version"),
        Field("bool", nullable=False),
    ),
    "task_ids": Field("str_list"),
    "dag_run_id": Field("str"),
    "start_date": Field("aware"),
    "end_date": Field("aware"),
    "note": Field("str", max_length=1000),
}
LOGIN_BODY = {
    "username": Field("str", required=True, nullable=False),
    "password": Field("str", required=True, nullable=False),
}
COUNT_CAP = 50_000  # EXACT_COUNT_LIMIT: 3.3's bounded count under a cursor
NO_BODY = object()  # json_body() of an empty request


def iso(moment: datetime | None) -> str | None:
    """Pydantic's datetime format: `Z` for UTC."""
    if moment is None:
        return None
    text = moment.astimezone(timezone.utc).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def json_body(request: Request) -> Any:
    """The decoded JSON body; `NO_BODY` when empty; ValueError when not JSON."""
    if not request.body.strip():
        return NO_BODY
    return json.loads(request.body)


def detail(status: int, message: Any) -> Abort:
    return Abort(json_response(status, {"detail": message}))


def invalid(errors: ErrorList) -> Abort:
    return detail(422, errors)


_INSERT_COLUMNS = (
    "dag_id, queued_at, logical_date, start_date, end_date, state, run_id, creating_job_id, "
    "run_type, triggered_by, {user}conf, data_interval_start, data_interval_end, run_after, "
    "last_scheduling_decision, log_template_id, updated_at, clear_number, backfill_id, "
    "bundle_version, scheduled_by_job_id, context_carrier, created_dag_version_id"
)


def database_error(status: int, reason: str, statement: str, orig_error: str) -> Abort:
    """Airflow 3's answer to a database exception, findable in its log by a random id."""
    log_id = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(8))
    message = (
        "Serious error when handling your request. Check logs for more details - "
        f"you will find it in api server when you look for ID {log_id}"
    )
    body = {"reason": reason, "statement": statement, "orig_error": orig_error, "message": message}
    return detail(status, body)


class V2(Api):
    api = "v2"
    prefix = "/api/v2"
    every_run_needs_dag = True
    health_paths = ("/api/v2/monitor/health",)
    batch_path = "/dags/{dag_id}/dagRuns/list"
    events_path = "upstreamAssetEvents"
    events_key = "asset_events"
    true_words: ClassVar[frozenset[str]] = frozenset({"true", "1"})
    sorted_keys = False
    validates_first = True

    def __init__(self, *args: Any, secret: bytes, token_lifetime: float, **kwargs: Any) -> None:
        self.secret = secret
        self.token_lifetime = token_lifetime
        super().__init__(*args, **kwargs)

    def own_routes(self) -> list[Route]:
        return [
            Route("POST", "/auth/token", "token", self.create_token, public=True),
            Route("GET", self.run_path + "/wait", "wait", self.wait),
        ]

    # -- errors and routing --------------------------------------------------------------

    def error(self, status: int, message: str) -> Response:
        return detail(status, message).response

    def no_route(self, request: Request) -> Response:
        path = request.path
        if request.method != "GET":  # the catch-all routes below only serve GET
            response = detail(405, "Method Not Allowed").response
            response.headers["allow"] = ", ".join(self.router.allowed(path) or ["GET"])
            return response
        if path.startswith("/api/v1/"):
            message = (
                "/api/v1 has been removed in Airflow 3, "
                "please use its upgraded version /api/v2 instead."
            )
            return json_response(404, {"error": message})
        if path == "/health":
            message = "Moved in Airflow 3. Please change config to check `/api/v2/monitor/health`"
            return json_response(404, {"error": message})
        if path.startswith("/api/"):
            return json_response(404, {"error": "API route not found"})
        return html_response(200, _pages.AIRFLOW3_INDEX)

    def admit(self, route: Route, request: Request) -> str | None:
        if route.method in ("POST", "PATCH") and route.name != "token":
            try:
                json_body(request)
            except ValueError as exc:
                error = {"type": "json_invalid", "loc": ["body", 0], "msg": "JSON decode error"}
                raise invalid([{**error, "input": {}, "ctx": {"error": str(exc)}}]) from None
        if route.public:
            return None
        user = self._token_user(request)
        if route.write and not self.may_write(user):
            raise detail(403, "Forbidden")
        return user

    def _token_user(self, request: Request) -> str:
        if self.scheme is not None:
            user = self.scheme._user(request)
            if user is None:
                raise detail(401, "Not authenticated")
            return user
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            token = _cookie(request.headers.get("cookie", ""), "_token")
        if not token:
            raise detail(401, "Not authenticated")
        now = self.store.clock.now().timestamp()
        try:
            claims = _jwt.verify(self.secret, token.strip(), now=now)
        except _jwt.ExpiredToken:
            raise detail(401, "Token Expired") from None
        except _jwt.InvalidToken:
            raise detail(403, "Invalid JWT token") from None
        subject: str = claims["sub"]
        return subject

    # -- wire shapes ---------------------------------------------------------------------

    def version_body(self, dag: Dag) -> dict[str, Any]:
        body = {
            "id": dag.version_id,
            "version_number": 1,
            "dag_id": dag.dag_id,
            "bundle_name": "dags-folder",
            "bundle_version": None,
            "created_at": iso(dag.created_at),
            "dag_display_name": dag.dag_id,
            "bundle_url": None,
        }
        return self.release.keep("dag_version", body)

    def run_body(self, run: Run) -> dict[str, Any]:
        interval = run.data_interval or (None, None)
        body = {
            "dag_run_id": run.run_id,
            "dag_id": run.dag_id,
            "logical_date": iso(run.logical_date),
            "queued_at": iso(run.queued_at),
            "start_date": iso(run.start_date),
            "end_date": iso(run.end_date),
            "duration": run_value(run, "duration"),
            "data_interval_start": iso(interval[0]),
            "data_interval_end": iso(interval[1]),
            "run_after": iso(run.run_after),
            "last_scheduling_decision": iso(run.last_scheduling_decision),
            "run_type": run.run_type,
            "state": run.state,
            "triggered_by": run.triggered_by,
            "triggering_user_name": run.triggering_user,
            "conf": run.conf,
            "note": run.note,
            "dag_versions": [self.version_body(self.store.dags[run.dag_id])],
            "bundle_version": None,
            "dag_display_name": run.dag_id,
            "partition_key": None,
            "partition_date": None,
        }
        return self.release.keep("run", body)

    def task_body(self, run: Run, index: int, listed: bool = False) -> dict[str, Any]:
        """One task instance; `listed`: in a listing or a clear's answer, which show the
        rendered fields only from 3.3 (recorded: 3.2.2 sends `{}` there, its GET the fields)."""
        ti = run.tasks[index]
        duration = None
        if ti.start_date is not None and ti.end_date is not None:
            duration = (ti.end_date - ti.start_date).total_seconds()
        dag = self.store.dags[run.dag_id]
        worker = worker_fields(dag.spec, ti)
        body = {
            "id": ti.id,
            "task_id": ti.task_id,
            "dag_id": run.dag_id,
            "dag_run_id": run.run_id,
            "map_index": -1,
            "logical_date": iso(run.logical_date),
            "run_after": iso(run.run_after),
            "start_date": iso(ti.start_date),
            "end_date": iso(ti.end_date),
            "duration": duration,
            "state": ti.state,
            "try_number": ti.try_number,
            "max_tries": 0,
            "task_display_name": ti.task_id,
            "dag_display_name": run.dag_id,
            "hostname": worker["hostname"],
            "unixname": "airflow",
            "pool": "default_pool",
            "pool_slots": 1,
            "queue": "default",
            "priority_weight": ti.priority_weight,
            "operator": worker["operator"],
            "operator_name": worker["operator"],
            "queued_when": iso(worker["queued_when"]),
            "scheduled_when": iso(worker["queued_when"]),
            "pid": worker["pid"],
            "executor": None,
            "executor_config": "{}",
            "note": None,
            "rendered_map_index": None,
            "rendered_fields": (
                {}
                if listed and not self.release.has("listed_rendered_fields")
                else worker["rendered_fields"]
            ),
            "trigger": None,
            "triggerer_job": None,
            "dag_version": self.version_body(dag),
        }
        return self.release.keep("task", body)

    def event_body(self, event: AssetEvent, consumer: Run) -> dict[str, Any]:
        created = []
        for dag_id, run_id in event.created_runs:
            run = self.store.run(dag_id, run_id)
            if run is None:
                continue
            if run.start_date is None:
                # The response model requires created_dagruns[].start_date (3.0.0 and 3.2.1
                # specs; seen on 3.3.2): asking before the created run starts is a 500.
                raise _unhandled()
            interval = run.data_interval or (None, None)
            reference = {
                "run_id": run.run_id,
                "dag_id": run.dag_id,
                "logical_date": iso(run.logical_date),
                "start_date": iso(run.start_date),
                "end_date": iso(run.end_date),
                "state": run.state,
                "data_interval_start": iso(interval[0]),
                "data_interval_end": iso(interval[1]),
                "partition_key": None,
                "triggering": consumer.consumed_events[-1:] == [event.id],
            }
            created.append(self.release.keep("created_run", reference))
        body = {
            "id": event.id,
            "asset_id": event.asset_id,
            "uri": event.uri,
            "name": event.uri,
            "group": "asset",
            "extra": event.extra,
            "source_task_id": event.source_task_id,
            "source_dag_id": event.source_dag_id,
            "source_run_id": event.source_run_id,
            "source_map_index": -1,
            "created_dagruns": created,
            "timestamp": iso(event.timestamp),
            "partition_key": None,
        }
        return self.release.keep("event", body)

    def dag_body(self, dag: Dag) -> dict[str, Any]:
        spec = dag.spec
        body = {
            "dag_id": spec.dag_id,
            "dag_display_name": spec.dag_id,
            "is_paused": dag.paused,
            "is_stale": False,
            "last_parsed_time": iso(dag.created_at),
            "last_parse_duration": None,  # null on 3.3.2
            "last_expired": None,
            "bundle_name": "dags-folder",
            "bundle_version": None,
            "relative_fileloc": f"{spec.dag_id}.py",
            "fileloc": f"/opt/airflow/dags/{spec.dag_id}.py",
            "description": None,
            "timetable_summary": "Asset" if spec.schedule else None,
            "timetable_description": "Triggered by assets"
            if spec.schedule
            else "Never, external triggers only",
            "timetable_partitioned": False,
            "timetable_periodic": False,
            "tags": [
                self.release.keep(
                    "tag", {"name": t, "dag_id": spec.dag_id, "dag_display_name": spec.dag_id}
                )
                for t in sorted(spec.tags)
            ],
            "max_active_tasks": 16,
            "max_active_runs": 16,
            "max_consecutive_failed_dag_runs": 0,
            "has_task_concurrency_limits": False,
            "has_import_errors": False,
            "next_dagrun_logical_date": None,
            "next_dagrun_data_interval_start": None,
            "next_dagrun_data_interval_end": None,
            "next_dagrun_run_after": None,
            "allowed_run_types": None,
            "owners": ["airflow"],
            "is_backfillable": False,
            "file_token": f"fake-{spec.dag_id}",
        }
        return self.release.keep("dag", body)

    def collection(self, runs: list[Run], listing: Listing) -> Response:
        total: int | None = len(runs)
        cursors: dict[str, str | None]
        cap, cursors = None, dict.fromkeys(("next_cursor", "previous_cursor"), None)
        if listing.cursor is None:
            chosen = page(runs, listing.offset, listing.limit)
        else:
            null_placed = self.release.has("keyset_null_placement")
            try:
                chosen, cursors = keyset_page(runs, listing, sql_nulls=not null_placed)
            except CursorError as exc:
                raise detail(400, str(exc)) from None
            # 3.3 counts total_entries up to a cap under a cursor, 3.2.2 leaves it null
            cap = COUNT_CAP if self.release.has("keyset_count") else None
            total = None if cap is None else min(len(runs), cap)
        body = {
            "dag_runs": [self.run_body(r) for r in chosen],
            "total_entries": total,
            "total_entries_limit": cap,
            **cursors,
        }
        return self.ok(self.release.keep("page", body))

    # -- server and auth -----------------------------------------------------------------

    def create_token(self, call: Call) -> Response:
        request = call.request
        content_type = request.headers.get("content-type", "application/json")
        if "json" in content_type:
            try:
                body = json.loads(request.body or b"{}")
            except ValueError:
                raise detail(400, "Invalid JSON body") from None
        elif "x-www-form-urlencoded" in content_type:
            body = dict(parse_qsl(request.body.decode()))
        else:
            raise detail(415, "Unsupported Media Type")
        if not isinstance(body, dict):
            raise detail(422, "Login body must be an object")
        _, errors = validate_model(body, LOGIN_BODY)
        errors = [e for e in errors if e["type"] != "extra_forbidden"]  # LoginBody allows extras
        if errors and self.release.has("validation_repr"):
            raise detail(422, validation_repr("LoginBody", errors))
        if errors:
            raise invalid(errors)
        username, password = body["username"], body["password"]
        if not username or not password:
            raise detail(400, "Username and password must be provided")
        if self.users.get(username) != password:
            raise detail(401, "Invalid credentials")
        token = _jwt.issue(
            self.secret,
            subject=username,
            role=self.roles.get(username, "admin"),
            now=self.store.clock.now().timestamp(),
            lifetime=self.token_lifetime,
        )
        return json_response(201, {"access_token": token})

    # -- DAGs ----------------------------------------------------------------------------

    def missing_dag(self, operation: str, dag_id: str) -> Abort:
        if operation == "patch_dag":
            return detail(404, f"Dag with id: {dag_id} was not found")
        if operation == "trigger":
            what = "Dag" if self.release.has("trigger_dag_wording") else "DAG"
            return detail(404, f"{what} with dag_id: '{dag_id}' not found")
        if self.release.has("dag_wording"):
            return detail(404, f"The Dag with ID: `{dag_id}` was not found")
        if operation == "get_dag":
            return detail(404, f"Dag with id {dag_id} was not found")
        return detail(404, f"The DAG with dag_id: `{dag_id}` was not found")

    def missing_run(self, operation: str, call: Call) -> Abort:
        return detail(
            404,
            f"The DagRun with dag_id: `{call.params['dag_id']}` and "
            f"run_id: `{call.params['dag_run_id']}` was not found",
        )

    def patch_dag(self, call: Call) -> Response:
        values = self._validated(call, {"is_paused": Field("bool", required=True, nullable=False)})
        dag = self.dag("patch_dag", call.params["dag_id"])
        mask = call.request.values("update_mask")
        if mask and mask != ["is_paused"]:
            raise detail(400, "Only `is_paused` field can be updated through the REST API")
        self.store.set_paused(dag, values["is_paused"])
        return self.ok(self.dag_body(dag))

    # -- listing -------------------------------------------------------------------------

    def paging(self, request: Request, errors: ErrorList | None = None) -> tuple[int, int]:
        """(limit, offset); their errors raised at once, or added to `errors`."""
        values, found = {"limit": DEFAULT_PAGE, "offset": 0}, []
        for name in values:
            text = request.last(name)
            if text is not None:
                value, problems = Field("int").check(text, ["query", name])
                found += problems
                values[name] = values[name] if problems else value
        if errors is not None:
            errors += found
        elif found:
            raise invalid(found)
        return min(values["limit"], MAX_PAGE), values["offset"]

    def _sort(self, values: list[str], table: Mapping[str, str]) -> list[tuple[str, bool]]:
        if not self.release.has("order_by_several"):
            values = values[-1:]  # 3.0 takes one order_by; the last given wins
        if len(values) > 10:
            raise detail(
                400, f"Ordering with more than 10 parameters is not allowed. Provided: {values}"
            )
        keys = []
        for value in values or ["id"]:
            name = value.lstrip("-")
            if name not in table:
                raise detail(
                    400,
                    f"Ordering with '{name}' is disallowed or "
                    "the attribute does not exist on the model",
                )
            keys.append((table[name], value.startswith("-")))
        if "id" not in {attr for attr, _ in keys}:
            keys.append(("id", keys[0][1]))
        return keys

    def _naive(self, bounds: list[tuple[str, str, Any]]) -> None:
        """A naive datetime reaches the database, which refuses it: a 500 (a plain-text one
        before 3.3's database error handler)."""
        if not any(isinstance(v, datetime) and v.tzinfo is None for _, _, v in bounds):
            return
        if self.release.has("database_error_handler"):
            raise database_error(500, "Database error", "hidden", "hidden")
        raise _unhandled()

    def _duplicate(self, by_run_id: bool) -> Abort:
        column = "run_id" if by_run_id else "logical_date"
        if self.release.has("hidden_statement"):
            return database_error(409, "Unique constraint violation", "hidden", "hidden")
        user_column = self.release.has("insert_user_column")
        columns = _INSERT_COLUMNS.format(user="triggering_user_name, " if user_column else "")
        values = ", ".join("?" * (columns.count(",") + 1))
        statement = f"INSERT INTO dag_run ({columns}) VALUES ({values})"
        if user_column:
            statement += " RETURNING id, span_status"
        failed = f"UNIQUE constraint failed: dag_run.dag_id, dag_run.{column}"
        return database_error(409, "Unique constraint violation", statement, failed)

    def read_list(self, call: Call) -> Listing:
        request = call.request
        errors: ErrorList = []
        limit, offset = self.paging(request, errors)
        selection = RunFilter(null_passes=("start_date", "end_date"))
        for column in RANGES:
            kind = Field("float" if column == "duration" else "datetime")
            for op in ("gte", "gt", "lte", "lt"):
                name = f"{column}_{op}"
                text = request.last(name)
                if text is None:
                    continue
                value, problems = kind.check(text, ["query", name])
                errors += problems
                if not problems and value:  # RangeFilter skips a falsy (0) bound: 3.3.2
                    selection.bound(column, op, value)
        if errors:
            raise invalid(errors)
        selection.states = self._choices(request.values("state"), RUN_STATES, "state")
        selection.run_types = self._choices(request.values("run_type"), RUN_TYPES, "run type")
        for name, attr in PATTERNS.items():
            text = request.last(f"{name}_pattern")
            if text and self.release.present("list", f"{name}_pattern"):
                selection.patterns.append((attr, like(text)))
        selection.conf_contains = request.last("conf_contains")
        dag_id = call.params["dag_id"]
        if dag_id != "~":
            self.dag("list", dag_id)
            selection.dag_ids = {dag_id}
        keys = self._sort(request.values("order_by"), SORTABLE)
        self._naive(selection.bounds)
        cursor = request.last("cursor") if self.release.has("keyset") else None
        return Listing(selection, keys, limit, offset, cursor=cursor)

    def _choices(
        self, given: list[str], allowed: Sequence[str], what: str
    ) -> set[str | None] | None:
        if not given:
            return None
        if any(value not in allowed and value != "none" for value in given):
            raise detail(422, f"Invalid value for {what}. Valid values are {', '.join(allowed)}")
        return {None if value == "none" else value for value in given}

    def read_batch(self, call: Call) -> Listing:
        if call.params["dag_id"] != "~":
            error = {
                "type": "literal_error",
                "loc": ["path", "dag_id"],
                "msg": "Input should be '~'",
            }
            raise invalid([{**error, "input": call.params["dag_id"], "ctx": {"expected": "'~'"}}])
        values = self._validated(call, BATCH_BODY)
        # an empty dag_ids or states list filters nothing, as an absent one (3.3.2)
        selection = RunFilter(
            dag_ids=values.get("dag_ids") or None, states=values.get("states") or None
        )
        for key, value in values.items():
            column, _, op = key.rpartition("_")
            if column in RANGES and value:  # a 0 duration bound is skipped, as on GET
                selection.bound(column, op, value)
        selection.conf_contains = values.get("conf_contains")
        keys = self._sort([values["order_by"]] if values.get("order_by") else [], BATCH_SORTABLE)
        return Listing(selection, keys, values.get("page_limit", 100), values.get("page_offset", 0))

    # -- one run -------------------------------------------------------------------------

    def _validated(
        self,
        call: Call,
        model: Mapping[str, Field],
        rule: Callable[[Mapping[str, Any]], str | None] = lambda values: None,
    ) -> dict[str, Any]:
        """A body model's values, or the 422 listing every problem; `rule` words a model
        validator's complaint about valid fields together."""
        body = json_body(call.request)
        values, errors = validate_model(body, model, missing_body=body is NO_BODY)
        complaint = None if errors else rule(values)
        if complaint:
            error = {"type": "value_error", "loc": ["body"], "msg": complaint, "input": body}
            errors.append({**error, "ctx": {"error": {}}})
        if errors:
            raise invalid(errors)
        return values

    def refuse_delete(self, run: Run) -> Abort | None:
        if run.state in (QUEUED, SUCCESS, FAILED):
            return None
        return detail(
            409,
            f"The DagRun with dag_id: `{run.dag_id}` and run_id: `{run.run_id}` "
            f"cannot be deleted in {run.state} state",
        )

    def trigger(self, call: Call) -> Response:
        values = self._validated(call, TRIGGER_BODY, _one_sided_interval)
        dag_id = call.params["dag_id"]
        self.dag("trigger", dag_id)
        now = self.store.clock.now()
        run_after: datetime = values.get("run_after") or now
        if run_after.tzinfo is None:
            run_after = run_after.replace(tzinfo=timezone.utc)
        logical: datetime | None = values["logical_date"]
        interval = None
        if logical is not None:
            start, end = values.get("data_interval_start"), values.get("data_interval_end")
            interval = (start, end) if start and end else (logical, logical)
        run_id = values.get("dag_run_id") or f"manual__{run_after.isoformat()}"
        if ".." in run_id and self.release.has("run_id_no_dotdot"):
            raise detail(
                400, f"The run_id '{run_id}' must not contain '..' to prevent path traversal"
            )
        if not re.match(RUN_ID_PATTERN, run_id) and not re.match(DEFAULT_RUN_ID_PATTERN, run_id):
            raise detail(
                400,
                f"The run_id provided '{run_id}' does not match regex pattern "
                f"'{RUN_ID_PATTERN}' or '{DEFAULT_RUN_ID_PATTERN}'",
            )
        if self.store.run(dag_id, run_id) is not None:
            raise self._duplicate(by_run_id=True)
        if logical is not None and any(
            r.dag_id == dag_id and r.logical_date == logical for r in self.store.all_runs()
        ):
            raise self._duplicate(by_run_id=False)
        return self.created(call, run_id, values, logical, interval, run_after)

    def read(self, operation: str, call: Call) -> dict[str, Any]:
        if operation == "clear":
            return self._validated(
                call,
                CLEAR_BODY,
                lambda v: (
                    "Value error, only_new and only_failed are mutually exclusive"
                    if v.get("only_new") and v.get("only_failed")
                    else None
                ),
            )
        values = self._validated(call, PATCH_BODY)
        mask = call.request.values("update_mask")
        # a comma-joined mask names no field: nothing changes
        return {k: v for k, v in values.items() if not mask or k in mask}

    def dry_run_body(self, run: Run, options: dict[str, Any]) -> dict[str, Any]:
        failed = (FAILED, "upstream_failed")
        tasks = [
            self.task_body(run, i, listed=True)
            for i, ti in enumerate(run.tasks)
            if not options.get("only_new")
            and (not options.get("only_failed") or ti.state in failed)
        ]
        return {"task_instances": tasks, "total_entries": len(tasks)}

    # -- task instances (3.3.2's shapes and wording, recorded) ----------------------------

    def ti_body(self, run: Run, ti: TaskInstance, listed: bool = False) -> dict[str, Any]:
        return self.task_body(run, run.tasks.index(ti), listed)

    def _ti_collection(self, bodies: list[dict[str, Any]]) -> dict[str, Any]:
        body = {
            "task_instances": bodies,
            "total_entries": len(bodies),
            "total_entries_limit": None,
            "next_cursor": None,
            "previous_cursor": None,
        }
        return self.release.keep("page", body)

    def ti_page(self, found: list[tuple[Run, TaskInstance]] | None, call: Call) -> Response:
        if found is None:
            raise self.missing_ti("list_task_instances", call.params)
        limit, offset = self.paging(call.request)
        page = self._ti_collection(
            [self.ti_body(run, ti, listed=True) for run, ti in found[offset : offset + limit]]
        )
        return self.ok({**page, "total_entries": len(found)})

    def missing_ti(self, operation: str, params: Mapping[str, str]) -> Abort:
        if operation == "task_logs":
            return detail(404, "TaskInstance not found")
        dag_id, run_id = params.get("dag_id"), params.get("dag_run_id")
        if operation == "clear_task_instances":
            return detail(404, f"Dag Run id {run_id} not found in dag {dag_id}")
        if operation == "list_task_instances":
            if not self.release.has("missing_run_names_dag"):
                return detail(404, f"DagRun with run_id: `{run_id}` was not found")
            return detail(
                404, f"DagRun with dag_id: `{dag_id}` and run_id: `{run_id}` was not found"
            )
        return detail(
            404,
            f"The Task Instance with dag_id: `{dag_id}`, run_id: `{run_id}` and task_id: "
            f"`{params.get('task_id')}` was not found",
        )

    def read_clear_tis(self, call: Call) -> dict[str, Any]:
        return self._validated(call, CLEAR_TIS_BODY)

    def cleared_body(self, cleared: list[tuple[Run, TaskInstance]]) -> dict[str, Any]:
        """Full task instances, as they are after the clear."""
        return self._ti_collection([self.ti_body(run, ti, listed=True) for run, ti in cleared])

    def log_body(self, run: Run, ti: TaskInstance, try_number: int, call: Call) -> Response:
        records = _logs.v2_log(run, ti, try_number, self.release)
        if records is None:
            raise self.missing_ti("task_logs", call.params)
        return self.ok({"content": records, "continuation_token": None})

    def wait(self, call: Call) -> Response:
        text = call.request.last("interval")
        if text is None:
            error = {"type": "missing", "loc": ["query", "interval"], "msg": "Field required"}
            raise invalid([{**error, "input": None}])
        interval, errors = Field("float", gt=0.0).check(text, ["query", "interval"])
        if errors:
            raise invalid(errors)
        run = self.run("wait", call)
        return Response(200, {}, stream=self._states(run, interval))

    def _states(self, run: Run, interval: float) -> Iterator[bytes]:
        """NDJSON lines of the run's state until it finishes; the scheduler beats between."""
        store = self.store
        while True:
            with store.lock:
                current = store.run(run.dag_id, run.run_id)
                state = current.state if current else run.state
            yield json.dumps({"state": state}).encode() + b"\n"
            if state in FINISHED or current is None:
                return
            store.clock.sleep(interval)
            with store.lock:
                store.heartbeat()


def _one_sided_interval(values: Mapping[str, Any]) -> str | None:
    """The trigger body's model validator: both ends of the data interval, or neither."""
    if (values.get("data_interval_start") is None) == (values.get("data_interval_end") is None):
        return None
    return (
        "Value error, Either both data_interval_start and data_interval_end "
        "must be provided or both must be None"
    )


def _cookie(header: str, name: str) -> str:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return ""


def _unhandled() -> Abort:
    """What FastAPI answers when a route raises: a plain-text 500."""
    text = b"Internal Server Error"
    return Abort(Response(500, {"content-type": "text/plain; charset=utf-8"}, text))
