"""Airflow 2.x, `/api/v1`: a Flask/connexion server with HTTP Basic auth.

Order of checks, as connexion wraps Airflow's views: unknown query parameters and the
OpenAPI schema (400), then authentication (401) and permissions (403), then the view, whose
marshmallow schemas refuse unknown body keys. Errors are RFC 7807 problem+json; unrouted
paths under /api/v1 are problem+json too, anything else gets the HTML 404 page.
"""

from __future__ import annotations

import ast
import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from http import HTTPStatus
from typing import Any, ClassVar

from airflow_bridge.testing import _logs, _pages
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
from airflow_bridge.testing._query import RFC3339, RunFilter, page, parse_datetime
from airflow_bridge.testing._state import AssetEvent, Dag, Run, TaskInstance
from airflow_bridge.testing._task_instances import worker_fields

PROBLEM = "application/problem+json"
MAX_PAGE = 100  # [api] maximum_page_limit
FALLBACK_PAGE = 100  # [api] fallback_page_limit
#: [scheduler] allowed_run_id_pattern, as `DAG.create_dagrun` matches it: with re2, whose `$`
#: is the end of the text (Python's `$` also matches before a final newline), so a Python
#: fullmatch (re2 on 2.6.3 to 2.11.2; a trailing newline refused on live 2.10.5).
RUN_ID = re.compile(r"^[A-Za-z0-9_.~:+-]+$")
_MISSING = object()
LONGEST = {"dag_run_id": 250, "note": 1000}  # marshmallow Length(max=...) of DAGRunSchema
_DOC_ANCHORS = {
    400: "BadRequest",
    401: "Unauthenticated",
    403: "PermissionDenied",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "AlreadyExists",
    500: "Unknown",
}
_NOT_FOUND_TEXT = (
    "The requested URL was not found on the server. "
    "If you entered the URL manually please check your spelling and try again."
)


@dataclass(frozen=True)
class Prop:
    """One OpenAPI schema property or query parameter, as connexion checks it."""

    type: str
    nullable: bool = False
    format: str | None = None
    enum: tuple[str, ...] | None = None
    minimum: int | None = None
    read_only: bool = False

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.format:
            out["format"] = self.format
        if self.minimum is not None:
            out["minimum"] = self.minimum
        return out

    def problem(self, value: Any) -> str | None:
        """jsonschema's message for a value this property refuses, else None."""
        checked: Any = value
        if value is None:  # connexion: readOnly refuses even a null (after the type check)
            if not self.nullable:
                return f"None is not of type '{self.type}'"
            return "Property is read-only" if self.read_only else None
        expected = {"string": str, "integer": int, "boolean": bool, "object": dict, "array": list}
        if not isinstance(value, expected[self.type]) or (
            self.type == "integer" and isinstance(value, bool)
        ):
            return f"{value!r} is not of type '{self.type}'"
        if self.enum is not None and value not in self.enum:
            return f"{value!r} is not one of {list(self.enum)!r}"
        if self.minimum is not None and checked < self.minimum:
            return f"{value!r} is less than the minimum of {self.minimum}"
        if self.format == "date-time" and not RFC3339.match(checked):
            return f"{value!r} is not a 'date-time'"
        if self.read_only:
            return "Property is read-only"
        return None


DATE = Prop("string", format="date-time")
NULL_DATE = Prop("string", nullable=True, format="date-time")
READ_ONLY = Prop("string", read_only=True)
READ_ONLY_DATE = Prop("string", nullable=True, format="date-time", read_only=True)
BOUNDS = {
    f"{f}_{b}": DATE for f in ("execution_date", "start_date", "end_date") for b in ("gte", "lte")
}
RUN_LIST_QUERY = {
    "limit": Prop("integer"),
    "offset": Prop("integer", minimum=0),
    **BOUNDS,
    **dict.fromkeys(("updated_at_gte", "updated_at_lte"), DATE),
    "state": Prop("array"),
    "order_by": Prop("string"),
    "fields": Prop("array"),
}
DAG_LIST_QUERY = {
    "limit": Prop("integer"),
    "offset": Prop("integer", minimum=0),
    "order_by": Prop("string"),
    "tags": Prop("array"),
    "only_active": Prop("boolean"),
    "paused": Prop("boolean"),
    "fields": Prop("array"),
    "dag_id_pattern": Prop("string"),
}
QUERIES: dict[str, Mapping[str, Prop]] = {
    "list": RUN_LIST_QUERY,
    "get": {"fields": Prop("array")},
    "list_dags": DAG_LIST_QUERY,
    "get_dag": {"fields": Prop("array")},
    "patch_dag": {"update_mask": Prop("array")},
    # the task instance endpoints' parameters (2.10 spec)
    "list_task_instances": {
        **{
            f"{f}_{b}": DATE
            for f in ("execution_date", "start_date", "end_date", "updated_at")
            for b in ("gte", "lte")
        },
        **dict.fromkeys(("duration_gte", "duration_lte"), Prop("integer")),
        **dict.fromkeys(("state", "pool", "queue", "executor"), Prop("array")),
        "limit": Prop("integer"),
        "offset": Prop("integer", minimum=0),
    },
    "task_logs": {
        "full_content": Prop("boolean"),
        "map_index": Prop("integer"),
        "token": Prop("string"),
    },
}
#: ClearTaskInstances of the 2.10 spec (marshmallow refuses other keys)
CLEAR_TIS_FIELDS = {
    "dry_run",
    "task_ids",
    "start_date",
    "end_date",
    "only_failed",
    "only_running",
    "include_subdags",
    "include_parentdag",
    "reset_dag_runs",
    "dag_run_id",
    "include_upstream",
    "include_downstream",
    "include_future",
    "include_past",
}
TRIGGER_BODY = {
    "dag_run_id": Prop("string", nullable=True),
    "dag_id": READ_ONLY,
    "logical_date": NULL_DATE,
    "execution_date": NULL_DATE,
    "start_date": READ_ONLY_DATE,
    "end_date": READ_ONLY_DATE,
    "data_interval_start": NULL_DATE,
    "data_interval_end": NULL_DATE,
    "last_scheduling_decision": READ_ONLY_DATE,
    "run_type": READ_ONLY,
    "state": READ_ONLY,
    "external_trigger": Prop("boolean", read_only=True),
    "conf": Prop("object"),
    "note": Prop("string", nullable=True),
}
#: Before 2.9 the DAGRun schema marks the data interval readOnly: connexion refuses it.
TRIGGER_BODY_BEFORE_2_9 = {
    **TRIGGER_BODY,
    "data_interval_start": READ_ONLY_DATE,
    "data_interval_end": READ_ONLY_DATE,
}
BATCH_BODY = {
    "order_by": Prop("string"),
    "page_offset": Prop("integer", minimum=0),
    "page_limit": Prop("integer", minimum=1),
    "dag_ids": Prop("array"),
    "states": Prop("array"),
    **BOUNDS,
}
#: order_by names -> run attributes (the names Airflow 2.10's view allows)
SORTABLE = {n: n for n in ("id", "state", "dag_id", "start_date", "end_date", "updated_at")}
SORTABLE |= {"execution_date": "logical_date", "dag_run_id": "run_id", "conf": "conf"}
SORTABLE |= {"external_trigger": "external_trigger"}


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


class V1(Api):
    api = "v1"
    prefix = "/api/v1"
    every_run_needs_dag = False
    health_paths = ("/api/v1/health", "/health")
    batch_path = "/dags/~/dagRuns/list"
    events_path = "upstreamDatasetEvents"
    events_key = "dataset_events"
    true_words: ClassVar[frozenset[str]] = frozenset({"true"})
    sorted_keys = True
    validates_first = False

    def own_routes(self) -> list[Route]:
        note = self.run_path + "/setNote"
        return [Route("PATCH", note, "set_note", partial(self.update, operation="set_note"), True)]

    # -- errors --------------------------------------------------------------------------

    def problem(
        self, status: int, title: str | None, detail: Any = None, *, documented: bool = True
    ) -> Abort:
        anchor = _DOC_ANCHORS.get(status)
        kind = "about:blank"
        if documented and anchor:
            docs = f"https://airflow.apache.org/docs/apache-airflow/{self.version}"
            kind = f"{docs}/stable-rest-api-ref.html#section/Errors/{anchor}"
        body = {"detail": detail, "status": status, "title": title, "type": kind}
        return Abort(json_response(status, body, content_type=PROBLEM, sort_keys=True))

    def bad_request(self, detail: Any, title: str | None = "Bad Request") -> Abort:
        return self.problem(400, title, detail)

    def oops(self) -> Abort:
        """An exception the view did not handle: Flask's HTML 500 page."""
        return Abort(html_response(500, _pages.airflow2_500(self.version)))

    def error(self, status: int, message: str) -> Response:
        return self.problem(status, HTTPStatus(status).phrase, message, documented=False).response

    def no_route(self, request: Request) -> Response:
        if not request.path.startswith(self.prefix):
            return html_response(404, _pages.AIRFLOW2_404)
        allowed = self.router.allowed(request.path)
        if allowed:
            abort = self.problem(
                405,
                "Method Not Allowed",
                "The method is not allowed for the requested URL.",
                documented=False,
            )
            abort.response.headers["allow"] = ", ".join(allowed)
            return abort.response
        return self.problem(404, "Not Found", _NOT_FOUND_TEXT, documented=False).response

    def missing_dag(self, operation: str, dag_id: str) -> Abort:
        if operation == "patch_dag":
            return self.problem(404, f"Dag with id: '{dag_id}' not found")
        if operation == "trigger":
            return self.problem(404, "DAG not found", f"DAG with dag_id: '{dag_id}' not found")
        return self.problem(404, "DAG not found", f"The DAG with dag_id: {dag_id} was not found")

    def missing_run(self, operation: str, call: Call) -> Abort:
        dag_id, run_id = call.params["dag_id"], call.params["dag_run_id"]
        if operation in ("update", "set_note", "clear"):
            gap = "   " if operation == "clear" else " "
            return self.problem(404, f"Dag Run id {run_id} not found in dag{gap}{dag_id}")
        title = "Not Found" if operation == "delete" else "DAGRun not found"
        detail = f"DAGRun with DAG ID: '{dag_id}' and DagRun ID: '{run_id}' not found"
        return self.problem(404, title, detail)

    # -- the pipeline --------------------------------------------------------------------

    def admit(self, route: Route, request: Request) -> str | None:
        self._check_query(request, route.name, QUERIES.get(route.name, {}))
        if route.method in ("POST", "PATCH"):
            self._check_body(request, self._body_props(route.name))
        if route.public:
            return None
        user = self._basic_user(request) if self.scheme is None else self.scheme._user(request)
        if user is None:
            raise self.problem(401, "Unauthorized")
        if route.write and not self.may_write(user):
            raise self.problem(403, "Forbidden")
        return user

    def _basic_user(self, request: Request) -> str | None:
        """The user whose HTTP Basic credentials are right, else None."""
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user if self.users.get(user) == password else None

    def _body_props(self, operation: str) -> Mapping[str, Prop]:
        queued = ("queued",) if self.release.has("update_to_queued") else ()
        interval = self.release.has("trigger_data_interval")
        return {
            "trigger": TRIGGER_BODY if interval else TRIGGER_BODY_BEFORE_2_9,
            "batch_list": BATCH_BODY,
            "update": {"state": Prop("string", enum=("success", "failed", *queued))},
            "set_note": {"note": Prop("string")},
            "clear": {"dry_run": Prop("boolean")},
            "patch_dag": {"is_paused": Prop("boolean", nullable=True)},
        }.get(operation, {})

    def _check_query(self, request: Request, operation: str, spec: Mapping[str, Prop]) -> None:
        known = {name for name in spec if self.release.present(operation, name)}
        extra = sorted({name for name, _ in request.query} - known)
        if extra:  # connexion's ExtraParameterProblem has no title (recorded on 2.10.5)
            raise self.bad_request(
                f"Extra query parameter(s) {', '.join(extra)} not in spec", title=None
            )
        for name, prop in spec.items():
            text = request.last(name)
            if text is None or prop.type == "array":
                continue
            value: Any = text
            if prop.type == "integer":
                try:
                    value = int(text)
                except ValueError:
                    raise self.bad_request(
                        f"Wrong type, expected 'integer' for query parameter '{name}'"
                    ) from None
            problem = prop.problem(value) if prop.type != "boolean" else None
            if problem:
                keyword = "format" if prop.format else "minimum"
                raise self.bad_request(
                    f"{problem}\n\nFailed validating {keyword!r} in schema:\n"
                    f"    {prop.schema()!r}\n\nOn instance:\n    {value!r}"
                )

    def _check_body(self, request: Request, props: Mapping[str, Prop]) -> None:
        if not request.body.strip():
            raise self.bad_request("Request body must not be empty")
        content_type = request.headers.get("content-type", "")
        if "json" not in content_type:
            raise self.bad_request(f"Invalid Content-type ({content_type}), expected JSON data")
        try:
            data = json.loads(request.body)
        except ValueError:
            raise self.bad_request("Request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise self.bad_request(f"{data!r} is not of type 'object'")
        for name, prop in props.items():
            if name not in data:
                continue
            if prop.type == "boolean" and not isinstance(data[name], bool | None):
                raise self.bad_request(
                    [f"Wrong type, expected 'boolean' for requestBody parameter '{name}'"]
                )
            problem = prop.problem(data[name])
            if problem:
                raise self.bad_request(f"{problem} - '{name}'")

    def _load(self, call: Call, allowed: set[str]) -> dict[str, Any]:
        """The view's marshmallow load of a body: a 400 for what `_field_errors` finds."""
        data: dict[str, Any] = json.loads(call.request.body)
        errors = _field_errors(data, allowed)
        if errors:
            raise self.bad_request(repr(errors))
        return data

    # -- wire shapes ---------------------------------------------------------------------

    def run_body(self, run: Run) -> dict[str, Any]:
        interval = run.data_interval or (None, None)
        body = {
            "conf": run.conf,
            "dag_id": run.dag_id,
            "dag_run_id": run.run_id,
            "end_date": iso(run.end_date),
            "execution_date": iso(run.logical_date),
            "external_trigger": run.external_trigger,
            "start_date": iso(run.start_date),
            "state": run.state,
            "logical_date": iso(run.logical_date),
            "data_interval_start": iso(interval[0]),
            "data_interval_end": iso(interval[1]),
            "last_scheduling_decision": iso(run.last_scheduling_decision),
            "run_type": "dataset_triggered" if run.run_type == "asset_triggered" else run.run_type,
            "note": run.note,
        }
        return self.release.keep("run", body)

    def event_body(self, event: AssetEvent, consumer: Run) -> dict[str, Any]:
        created = []
        for dag_id, run_id in event.created_runs:
            run = self.store.run(dag_id, run_id)
            if run is None:
                continue
            interval = run.data_interval or (None, None)
            created.append(
                {
                    "dag_id": run.dag_id,
                    "dag_run_id": run.run_id,
                    "data_interval_end": iso(interval[1]),
                    "data_interval_start": iso(interval[0]),
                    "end_date": iso(run.end_date),
                    "logical_date": iso(run.logical_date),
                    "start_date": iso(run.start_date),
                    "state": run.state,
                }
            )
        return {
            "created_dagruns": created,
            "dataset_id": event.asset_id,
            "dataset_uri": event.uri,
            "extra": event.extra,
            "id": event.id,
            "source_dag_id": event.source_dag_id,
            "source_map_index": -1,
            "source_run_id": event.source_run_id,
            "source_task_id": event.source_task_id,
            "timestamp": iso(event.timestamp),
        }

    def dag_body(self, dag: Dag) -> dict[str, Any]:
        spec = dag.spec
        body = {
            "dag_display_name": spec.dag_id,
            "dag_id": spec.dag_id,
            "default_view": "grid",
            "description": None,
            "file_token": f"fake-{spec.dag_id}",
            "fileloc": f"/opt/airflow/dags/{spec.dag_id}.py",
            "has_import_errors": False,
            "has_task_concurrency_limits": False,
            "is_active": True,
            "is_paused": dag.paused,
            "is_subdag": False,
            "last_expired": None,
            "last_parsed_time": iso(dag.created_at),
            "last_pickled": None,
            "max_active_runs": 16,
            "max_active_tasks": 16,
            "max_consecutive_failed_dag_runs": 0,
            "next_dagrun": None,
            "next_dagrun_create_after": None,
            "next_dagrun_data_interval_end": None,
            "next_dagrun_data_interval_start": None,
            "owners": ["airflow"],
            "pickle_id": None,
            "root_dag_id": None,
            "schedule_interval": (
                {"__type": "CronExpression", "value": "Dataset"} if spec.schedule else None
            ),
            "scheduler_lock": None,
            "tags": [{"name": tag} for tag in spec.tags],
            "timetable_description": (
                "Triggered by datasets" if spec.schedule else "Never, external triggers only"
            ),
        }
        return self.release.keep("dag", body)

    def shown(self, body: dict[str, Any], call: Call) -> dict[str, Any]:
        return self._fields(body, call.request.values("fields"), "DAGRunSchema")

    def _fields(self, body: dict[str, Any], given: list[str], schema: str) -> dict[str, Any]:
        """Only the fields the `fields` parameter names (comma-joined or repeated)."""
        fields = [f for value in given for f in value.split(",") if f]
        unknown = [name for name in fields if name not in body]
        if unknown:
            raise self.bad_request(f"{unknown[0]} not in DAGRunSchema", title=f"{schema} error")
        return {name: body[name] for name in fields} if fields else body

    # -- DAGs ----------------------------------------------------------------------------

    def paging(self, request: Request) -> tuple[int, int]:
        return self._limit(request), int(request.last("offset") or 0)

    def patch_dag(self, call: Call) -> Response:
        data = self._load(call, {"is_paused"})
        mask = [v for value in call.request.values("update_mask") for v in value.split(",")]
        if mask and mask != ["is_paused"]:
            raise self.bad_request("Only `is_paused` field can be updated through the REST API")
        dag = self.dag("patch_dag", call.params["dag_id"])
        if "is_paused" not in data:
            raise self.oops()
        self.store.set_paused(dag, bool(data["is_paused"]))
        return self.ok(self.dag_body(dag))

    # -- listing -------------------------------------------------------------------------

    def _limit(self, request: Request) -> int:
        text = request.last("limit")
        limit = FALLBACK_PAGE if text is None else int(text)
        if limit < 0:
            raise self.bad_request(None, title="Page limit must be a positive integer")
        return FALLBACK_PAGE if limit == 0 else min(limit, MAX_PAGE)

    def _order(self, order_by: str) -> list[tuple[str, bool]]:
        name = order_by.lstrip("-")
        if name not in SORTABLE:
            raise self.bad_request(
                f"Ordering with '{name}' is disallowed or the attribute does not exist on the model"
            )
        return [(SORTABLE[name], order_by.startswith("-"))]

    def _date_bounds(self, selection: RunFilter, values: Mapping[str, Any]) -> None:
        columns = {"execution_date": "logical_date"}
        for key, text in values.items():
            if text is None or not key.endswith(("_gte", "_lte")):
                continue
            moment = parse_datetime(text.replace(" ", "+"))
            if moment is None:
                raise self.bad_request(text, title="Incorrect datetime argument")
            column, _, op = key.rpartition("_")
            selection.bound(columns.get(column, column), op, moment)

    def read_list(self, call: Call) -> Listing:
        request = call.request
        dag_id = call.params["dag_id"]
        limit = self._limit(request)
        selection = RunFilter(dag_ids=None if dag_id == "~" else {dag_id})
        self._date_bounds(selection, {k: request.last(k) for k in RUN_LIST_QUERY})
        states = [s for value in request.values("state") for s in value.split(",")]
        if states:  # an empty value is a state no run has: `state=` lists none (2.10.5)
            selection.states = set(states)
        keys = self._order(request.last("order_by") or "id")
        offset = int(request.last("offset") or 0)
        return Listing(selection, keys, limit, offset, fields=request.values("fields"))

    def read_batch(self, call: Call) -> Listing:
        data = self._load(call, set(BATCH_BODY))
        selection = RunFilter(dag_ids=set(data["dag_ids"]) if data.get("dag_ids") else None)
        if data.get("states"):
            selection.states = set(data["states"])
        self._date_bounds(selection, {k: data.get(k) for k in BATCH_BODY})
        keys = self._order(data.get("order_by") or "id")
        return Listing(selection, keys, data.get("page_limit", 100), data.get("page_offset", 0))

    def collection(self, runs: list[Run], listing: Listing) -> Response:
        bodies = [
            self._fields(self.run_body(run), listing.fields, "DAGRunCollectionSchema")
            for run in page(runs, listing.offset, listing.limit)
        ]
        return self.ok({"dag_runs": bodies, "total_entries": len(runs)})

    # -- task instances (2.10.5's shapes and wording, recorded) ---------------------------

    def ti_body(self, run: Run, ti: TaskInstance) -> dict[str, Any]:
        duration = None
        if ti.start_date is not None and ti.end_date is not None:
            duration = (ti.end_date - ti.start_date).total_seconds()
        worker = worker_fields(self.store.dags[run.dag_id].spec, ti)
        body = {
            "dag_id": run.dag_id,
            "dag_run_id": run.run_id,
            "duration": duration,
            "end_date": iso(ti.end_date),
            "execution_date": iso(run.logical_date),
            "executor": None,
            "executor_config": "{}",
            "hostname": worker["hostname"],
            "map_index": -1,
            "max_tries": 0,
            "note": None,
            "operator": worker["operator"],
            "pid": worker["pid"],
            "pool": "default_pool",
            "pool_slots": 1,
            "priority_weight": ti.priority_weight,
            "queue": "default",
            "queued_when": iso(worker["queued_when"]),
            "rendered_fields": worker["rendered_fields"],
            "rendered_map_index": None,
            "sla_miss": None,
            "start_date": iso(ti.start_date),
            "state": ti.state,
            "task_display_name": ti.task_id,
            "task_id": ti.task_id,
            "trigger": None,
            "triggerer_job": None,
            "try_number": ti.try_number,
            "unixname": "airflow",
        }
        if worker["operator"] == "EmptyOperator" and not self.release.has("empty_task_try"):
            body["try_number"] = 0  # the scheduler marks it success without running it
        return self.release.keep("task", body)

    def ti_page(self, found: list[tuple[Run, TaskInstance]] | None, call: Call) -> Response:
        """An unknown run's listing is an empty page (recorded on 2.10.5)."""
        request = call.request
        limit, offset = self._limit(request), int(request.last("offset") or 0)
        found = found or []
        bodies = [self.ti_body(run, ti) for run, ti in found[offset : offset + limit]]
        return self.ok({"task_instances": bodies, "total_entries": len(found)})

    def missing_ti(self, operation: str, params: Mapping[str, str]) -> Abort:
        if operation == "clear_task_instances":
            run_id, dag_id = params["dag_run_id"], params["dag_id"]
            return self.problem(404, f"Dag Run id {run_id} not found in dag {dag_id}")
        title = "TaskInstance" if operation == "task_logs" else "Task instance"
        return self.problem(404, f"{title} not found")

    def read_clear_tis(self, call: Call) -> dict[str, Any]:
        return self._load(call, CLEAR_TIS_FIELDS)

    def cleared_body(self, cleared: list[tuple[Run, TaskInstance]]) -> dict[str, Any]:
        """References only (`TaskInstanceReference`)."""
        refs = [
            {
                "dag_id": run.dag_id,
                "dag_run_id": run.run_id,
                "execution_date": iso(run.logical_date),
                "task_id": ti.task_id,
            }
            for run, ti in cleared
        ]
        return {"task_instances": refs}

    def log_body(self, run: Run, ti: TaskInstance, try_number: int, call: Call) -> Response:
        """JSON when asked for (`Accept: application/json`), else the text alone."""
        body = _logs.v1_log(run, ti, try_number, call.request.last("token"))
        if "application/json" in call.request.headers.get("accept", ""):
            return self.ok(body)
        text = "".join(part for _, part in ast.literal_eval(body["content"]))
        return Response(200, {"content-type": "text/plain"}, text.encode())

    # -- one run -------------------------------------------------------------------------

    def trigger(self, call: Call) -> Response:
        dag_id = call.params["dag_id"]
        self.dag("trigger", dag_id)
        data = dict(json.loads(call.request.body))
        now = self.store.clock.now()
        date_key = "logical_date" if self.release.has("run.logical_date") else "execution_date"
        logical = data.get("logical_date", _MISSING)
        execution = data.pop("execution_date", _MISSING)
        if logical is _MISSING and execution is _MISSING:
            data[date_key] = now.isoformat()
        elif logical is _MISSING:
            data[date_key] = execution
        elif execution is not _MISSING and logical != execution:
            raise self.bad_request(
                f"{logical!r} != {execution!r}", title="logical_date conflicts with execution_date"
            )
        if "dag_run_id" not in data:
            text = data.get(date_key)
            if not isinstance(text, str):
                raise self.bad_request(
                    _parse_type_error(text, pendulum3=self.release.has("pendulum3")),
                    title="Incorrect datetime argument",
                )
            moment = parse_datetime(text)
            if moment is None:
                raise self.bad_request(text, title="Incorrect datetime argument")
            data["dag_run_id"] = f"manual__{moment.isoformat()}"
        self._load_trigger(data, date_key)
        run_id: str = data["dag_run_id"]
        logical_date = parse_datetime(data[date_key]) or now
        for existing in self.store.all_runs():
            if existing.dag_id != dag_id:
                continue
            if existing.logical_date == logical_date:
                raise self.problem(
                    409,
                    "Conflict",
                    f"DAGRun with DAG ID: '{dag_id}' and DAGRun logical date: "
                    f"'{logical_date.isoformat(sep=' ')}' already exists",
                )
            if existing.run_id == run_id:
                raise self.problem(
                    409,
                    "Conflict",
                    f"DAGRun with DAG ID: '{dag_id}' and DAGRun ID: '{run_id}' already exists",
                )
        if not RUN_ID.fullmatch(run_id):
            raise self.oops()  # create_dagrun's AirflowException: uncaught
        start, end = data.get("data_interval_start"), data.get("data_interval_end")
        interval = (logical_date, logical_date)
        if start and end:
            interval = (parse_datetime(start) or logical_date, parse_datetime(end) or logical_date)
        return self.created(call, run_id, data, logical_date, interval, now)

    def _load_trigger(self, data: dict[str, Any], date_key: str) -> None:
        """marshmallow's DAGRunSchema.load: unknown, null and long fields, the interval rule."""
        allowed = {"dag_run_id", date_key, "conf"}
        if self.release.has("run.note"):
            allowed.add("note")
        if self.release.has("trigger_data_interval"):
            allowed |= {"data_interval_start", "data_interval_end"}
        nulls = [key for key in ("dag_run_id", date_key) if data.get(key, "") is None]
        errors = {key: ["Field may not be null."] for key in nulls} | _field_errors(data, allowed)
        if not errors and (data.get("data_interval_start") is None) != (
            data.get("data_interval_end") is None
        ):
            errors["_schema"] = [
                "Both 'data_interval_start' and 'data_interval_end' must be specified together"
            ]
        if errors:
            raise self.bad_request(repr(errors))

    def read(self, operation: str, call: Call) -> dict[str, Any]:
        if operation == "clear":
            return self._load(call, {"dry_run"})
        field = "state" if operation == "update" else "note"
        data = self._load(call, {field})
        if field not in data:
            raise self.oops()
        return {field: data[field]}

    def dry_run_body(self, run: Run, options: dict[str, Any]) -> dict[str, Any]:
        keys = {"dag_id": run.dag_id, "dag_run_id": run.run_id}
        date = iso(run.logical_date)
        return {
            "task_instances": [
                {**keys, "execution_date": date, "task_id": ti.task_id} for ti in run.tasks
            ]
        }


def _field_errors(data: dict[str, Any], allowed: set[str]) -> dict[str, list[str]]:
    """marshmallow's complaints: too long fields (the lengths recorded on 2.10.5), then
    unknown ones."""
    errors = {
        key: [f"Longer than maximum length {LONGEST[key]}."]
        for key in LONGEST
        if key in allowed and isinstance(data.get(key), str) and len(data[key]) > LONGEST[key]
    }
    return errors | {key: ["Unknown field."] for key in data if key not in allowed}


def _parse_type_error(value: Any, *, pendulum3: bool) -> str:
    """The TypeError `pendulum.parse` raises for a non-string: pendulum 3 from Airflow 2.8
    on, pendulum 2 before (the releases' installed pendulum; recorded on 2.6.3 to 2.11.2)."""
    name = type(value).__name__
    if pendulum3:
        what = "'None'" if value is None else f"'{name}' object"
        return f"{what} is not an instance of 'str'"
    if isinstance(value, list | dict):
        return f"expected string or bytes-like object, got '{name}'"
    return f"argument of type '{name}' is not iterable"
