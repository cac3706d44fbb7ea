"""Airflow 2.x, `/api/v1`: a Flask/connexion server with HTTP Basic auth.

Order of checks, as connexion wraps Airflow's views: unknown query parameters and the
OpenAPI schema (400), then authentication (401) and permissions (403), then the view, whose
marshmallow schemas refuse unknown body keys. Errors are RFC 7807 problem+json; unrouted
paths under /api/v1 are problem+json too, anything else gets the HTML 404 page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from typing import Any

from airflow_bridge.testing import _pages
from airflow_bridge.testing._api import Api, git_version
from airflow_bridge.testing._http import (
    Abort,
    Call,
    Match,
    Request,
    Response,
    Route,
    html_response,
    json_response,
)
from airflow_bridge.testing._query import RFC3339, RunFilter, order, page, parse_datetime
from airflow_bridge.testing._state import AssetEvent, Dag, Run

PROBLEM = "application/problem+json"
MAX_PAGE = 100  # [api] maximum_page_limit
FALLBACK_PAGE = 100  # [api] fallback_page_limit
RUN_ID = re.compile(r"^[A-Za-z0-9_.~:+-]+$")
_MISSING = object()
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
    since: str = "2.0.0"

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
RUN_LIST_QUERY = {
    "limit": Prop("integer"),
    "offset": Prop("integer", minimum=0),
    **{
        f"{f}_{b}": DATE
        for f in ("execution_date", "start_date", "end_date")
        for b in ("gte", "lte")
    },
    "updated_at_gte": Prop("string", format="date-time", since="2.6.0"),
    "updated_at_lte": Prop("string", format="date-time", since="2.6.0"),
    "state": Prop("array", since="2.3.0"),
    "order_by": Prop("string", since="2.1.0"),
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
#: Before 2.9 the DAGRun schema marks the data interval readOnly (the 2.6.3-2.8.4 sources'
#: v1.yaml; recorded on 2.6.3, 2.7.3 and 2.8.4): connexion refuses it before the view runs.
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
    **{
        f"{f}_{b}": DATE
        for f in ("execution_date", "start_date", "end_date")
        for b in ("gte", "lte")
    },
}
SORTABLE = {
    "id": "id",
    "state": "state",
    "dag_id": "dag_id",
    "execution_date": "logical_date",
    "dag_run_id": "run_id",
    "start_date": "start_date",
    "end_date": "end_date",
    "updated_at": "updated_at",
    "external_trigger": "external_trigger",
    "conf": "conf",
}
ROUTE_SINCE = {"update": "2.2.0", "clear": "2.4.0", "upstream_events": "2.4.0", "set_note": "2.5.0"}


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


class V1(Api):
    prefix = "/api/v1"

    def routes(self) -> Sequence[Route]:
        run = "/api/v1/dags/{dag_id}/dagRuns/{dag_run_id}"
        return [
            Route("GET", "/api/v1/version", "version", self.get_version, public=True),
            Route("GET", "/api/v1/health", "health", self.get_health, public=True),
            Route("GET", "/health", "health", self.get_health, public=True),
            Route("GET", "/api/v1/dags", "list_dags", self.list_dags),
            Route("GET", "/api/v1/dags/{dag_id}", "get_dag", self.get_dag),
            Route("PATCH", "/api/v1/dags/{dag_id}", "patch_dag", self.patch_dag, write=True),
            Route("GET", "/api/v1/dags/{dag_id}/dagRuns", "list", self.list_runs),
            Route("POST", "/api/v1/dags/{dag_id}/dagRuns", "trigger", self.trigger, write=True),
            Route("POST", "/api/v1/dags/~/dagRuns/list", "batch_list", self.batch_list),
            Route("GET", run, "get", self.get_run),
            Route("DELETE", run, "delete", self.delete_run, write=True),
            Route("PATCH", run, "update", self.update_state, write=True),
            Route("POST", run + "/clear", "clear", self.clear, write=True),
            Route("GET", run + "/upstreamDatasetEvents", "upstream_events", self.events),
            Route("PATCH", run + "/setNote", "set_note", self.set_note, write=True),
        ]

    def has_route(self, route: Route) -> bool:
        return self.at_least(ROUTE_SINCE.get(route.name, "2.0.0"))

    # -- errors --------------------------------------------------------------------------

    def problem(
        self, status: int, title: str, detail: Any = None, *, documented: bool = True
    ) -> Abort:
        anchor = _DOC_ANCHORS.get(status)
        kind = "about:blank"
        if documented and anchor:
            docs = f"https://airflow.apache.org/docs/apache-airflow/{self.version}"
            kind = f"{docs}/stable-rest-api-ref.html#section/Errors/{anchor}"
        body = {"detail": detail, "status": status, "title": title, "type": kind}
        return Abort(json_response(status, body, content_type=PROBLEM, sort_keys=True))

    def bad_request(self, detail: Any, title: str = "Bad Request") -> Abort:
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

    # -- the pipeline --------------------------------------------------------------------

    def dispatch(self, match: Match, request: Request) -> Response:
        route = match.route
        self._check_query(request, QUERIES.get(route.name, {}))
        if route.method in ("POST", "PATCH"):
            self._check_body(request, self._body_props(route.name))
        user = None
        if not route.public:
            user = self.basic_user(request)
            if user is None:
                raise self.problem(401, "Unauthorized")
            if route.write and not self.may_write(user):
                raise self.problem(403, "Forbidden")
        return self.call(match, request, user)

    def _body_props(self, operation: str) -> Mapping[str, Prop]:
        states = (
            ("success", "failed", "queued") if self.at_least("2.5.0") else ("success", "failed")
        )
        return {
            "trigger": TRIGGER_BODY if self.at_least("2.9.0") else TRIGGER_BODY_BEFORE_2_9,
            "batch_list": BATCH_BODY,
            "update": {"state": Prop("string", enum=states)},
            "set_note": {"note": Prop("string")},
            "clear": {"dry_run": Prop("boolean")},
            "patch_dag": {"is_paused": Prop("boolean", nullable=True)},
        }.get(operation, {})

    def _check_query(self, request: Request, spec: Mapping[str, Prop]) -> None:
        known = {name for name, prop in spec.items() if self.at_least(prop.since)}
        extra = sorted({name for name, _ in request.query} - known)
        if extra:
            raise self.bad_request(f"Extra query parameter(s) {', '.join(extra)} not in spec")
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

    # -- wire shapes ---------------------------------------------------------------------

    def run_body(self, run: Run) -> dict[str, Any]:
        body: dict[str, Any] = {
            "conf": run.conf,
            "dag_id": run.dag_id,
            "dag_run_id": run.run_id,
            "end_date": iso(run.end_date),
            "execution_date": iso(run.logical_date),
            "external_trigger": run.external_trigger,
            "start_date": iso(run.start_date),
            "state": run.state,
        }
        if self.at_least("2.2.0"):
            body["logical_date"] = iso(run.logical_date)
        if self.at_least("2.5.0"):  # as the project's 2.5 docs show them (fixtures/2.5.3)
            interval = run.data_interval or (None, None)
            body["data_interval_start"] = iso(interval[0])
            body["data_interval_end"] = iso(interval[1])
            body["last_scheduling_decision"] = iso(run.last_scheduling_decision)
            body["run_type"] = (
                "dataset_triggered" if run.run_type == "asset_triggered" else run.run_type
            )
            body["note"] = run.note
        return body

    def event_body(self, event: AssetEvent) -> dict[str, Any]:
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
        return {
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
            "schedule_interval": None,
            "scheduler_lock": None,
            "tags": [{"name": tag} for tag in spec.tags],
            "timetable_description": (
                "Triggered by datasets" if spec.schedule else "Never, external triggers only"
            ),
        }

    def ok(self, body: Any) -> Response:
        return json_response(200, body, sort_keys=True)

    def _fields(self, body: dict[str, Any], fields: list[str], schema: str) -> dict[str, Any]:
        unknown = [name for name in fields if name not in body]
        if unknown:
            raise self.bad_request(f"{unknown[0]} not in DAGRunSchema", title=f"{schema} error")
        return {name: body[name] for name in fields} if fields else body

    # -- server --------------------------------------------------------------------------

    def get_version(self, call: Call) -> Response:
        return self.ok({"git_version": git_version(self.version), "version": self.version})

    def get_health(self, call: Call) -> Response:
        beat = iso(self.store.clock.now())
        body: dict[str, Any] = {
            "metadatabase": {"status": "healthy"},
            "scheduler": {"latest_scheduler_heartbeat": beat, "status": "healthy"},
        }
        if self.at_least("2.6.2"):  # "New in version 2.6.2" (2.10 spec)
            body["triggerer"] = {"latest_triggerer_heartbeat": None, "status": None}
        if self.at_least("2.7.0"):  # not in 2.6.3's health schema nor its recording
            body["dag_processor"] = {"latest_dag_processor_heartbeat": None, "status": None}
        return self.ok(body)

    # -- DAGs ----------------------------------------------------------------------------

    def _dag(self, call: Call, title: str, detail: str | None) -> Dag:
        dag = self.store.dags.get(call.params["dag_id"])
        if dag is None:
            raise self.problem(404, title, detail)
        return dag

    def list_dags(self, call: Call) -> Response:
        request = call.request
        dags = list(self.store.dags.values())
        paused = request.last("paused")
        if paused is not None:
            dags = [d for d in dags if d.paused == (paused.lower() == "true")]
        pattern = request.last("dag_id_pattern")
        if pattern:
            dags = [d for d in dags if pattern.lower() in d.dag_id.lower()]
        limit, offset = self._limit(request), int(request.last("offset") or 0)
        bodies = [self.dag_body(d) for d in dags[offset : offset + limit]]
        return self.ok({"dags": bodies, "total_entries": len(dags)})

    def get_dag(self, call: Call) -> Response:
        dag_id = call.params["dag_id"]
        dag = self._dag(call, "DAG not found", f"The DAG with dag_id: {dag_id} was not found")
        return self.ok(self.dag_body(dag))

    def patch_dag(self, call: Call) -> Response:
        data = json.loads(call.request.body)
        unknown = {name: ["Unknown field."] for name in data if name != "is_paused"}
        if unknown:
            raise self.bad_request(repr(unknown))
        mask = [v for value in call.request.values("update_mask") for v in value.split(",")]
        if mask and mask != ["is_paused"]:
            raise self.bad_request("Only `is_paused` field can be updated through the REST API")
        dag = self._dag(call, f"Dag with id: '{call.params['dag_id']}' not found", None)
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

    def _collection(self, runs: list[Run], total: int, fields: list[str] | None = None) -> Response:
        bodies = [
            self._fields(self.run_body(r), fields or [], "DAGRunCollectionSchema") for r in runs
        ]
        return self.ok({"dag_runs": bodies, "total_entries": total})

    def _date_bounds(self, selection: RunFilter, values: Mapping[str, str | None]) -> None:
        columns = {"execution_date": "logical_date"}
        for key, text in values.items():
            if text is None:
                continue
            moment = parse_datetime(text.replace(" ", "+"))
            if moment is None:
                raise self.bad_request(text, title="Incorrect datetime argument")
            column, _, op = key.rpartition("_")
            selection.bound(columns.get(column, column), op, moment)

    def list_runs(self, call: Call) -> Response:
        request = call.request
        dag_id = call.params["dag_id"]
        limit = self._limit(request)
        selection = RunFilter(dag_ids=None if dag_id == "~" else {dag_id})
        self._date_bounds(
            selection, {k: request.last(k) for k in RUN_LIST_QUERY if k.endswith(("_gte", "_lte"))}
        )
        states = [s for value in request.values("state") for s in value.split(",") if s]
        if states:
            selection.states = set(states)
        keys = self._order(request.last("order_by") or "id")
        runs = order(selection.select(self.store.all_runs(), self.store.clock.now()), keys)
        offset = int(request.last("offset") or 0)
        fields = [f for value in request.values("fields") for f in value.split(",") if f]
        return self._collection(page(runs, offset, limit), len(runs), fields)

    def batch_list(self, call: Call) -> Response:
        data = json.loads(call.request.body)
        unknown = {name: ["Unknown field."] for name in data if name not in BATCH_BODY}
        if unknown:
            raise self.bad_request(repr(unknown))
        selection = RunFilter(dag_ids=set(data["dag_ids"]) if data.get("dag_ids") else None)
        if data.get("states"):
            selection.states = set(data["states"])
        self._date_bounds(
            selection, {k: data.get(k) for k in BATCH_BODY if k.endswith(("_gte", "_lte"))}
        )
        keys = self._order(data.get("order_by") or "id")
        runs = order(selection.select(self.store.all_runs(), self.store.clock.now()), keys)
        limit = data.get("page_limit", 100)
        return self._collection(page(runs, data.get("page_offset", 0), limit), len(runs))

    # -- one run -------------------------------------------------------------------------

    def _run(self, call: Call, title: str, detail: str | None) -> Run:
        run = self.run_or_none(call)
        if run is None:
            raise self.problem(404, title, detail)
        return run

    def _missing(self, call: Call) -> str:
        return (
            f"DAGRun with DAG ID: '{call.params['dag_id']}' and "
            f"DagRun ID: '{call.params['dag_run_id']}' not found"
        )

    def _not_in_dag(self, call: Call, gap: str = " ") -> str:
        return (
            f"Dag Run id {call.params['dag_run_id']} not found in dag{gap}{call.params['dag_id']}"
        )

    def get_run(self, call: Call) -> Response:
        run = self._run(call, "DAGRun not found", self._missing(call))
        fields = [f for value in call.request.values("fields") for f in value.split(",") if f]
        return self.ok(self._fields(self.run_body(run), fields, "DAGRunSchema"))

    def delete_run(self, call: Call) -> Response:
        run = self._run(call, "Not Found", self._missing(call))
        self.store.delete(run)
        return Response(204, {"content-type": "application/json"})

    def trigger(self, call: Call) -> Response:
        dag_id = call.params["dag_id"]
        dag = self.store.dags.get(dag_id)
        if dag is None:
            raise self.problem(404, "DAG not found", f"DAG with dag_id: '{dag_id}' not found")
        data = dict(json.loads(call.request.body))
        now = self.store.clock.now()
        date_key = "logical_date" if self.at_least("2.2.0") else "execution_date"
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
                    _parse_type_error(text, pendulum3=self.at_least("2.8.0")),
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
        if not RUN_ID.match(run_id):
            raise self.oops()
        start, end = data.get("data_interval_start"), data.get("data_interval_end")
        interval = (logical_date, logical_date)
        if start and end:
            interval = (parse_datetime(start) or logical_date, parse_datetime(end) or logical_date)
        run = self.store.create_run(
            dag_id,
            run_id,
            logical_date=logical_date,
            data_interval=interval,
            run_after=now,
            conf=data.get("conf") or {},
            note=data.get("note") or None,
            user=call.user,
        )
        return self.ok(self.run_body(run))

    def _load_trigger(self, data: dict[str, Any], date_key: str) -> None:
        """marshmallow's DAGRunSchema.load: unknown and null fields, then the interval rule."""
        allowed = {"dag_run_id", date_key, "conf"}
        if self.at_least("2.5.0"):
            allowed.add("note")
        if self.at_least("2.9.0"):
            allowed |= {"data_interval_start", "data_interval_end"}
        errors: dict[str, list[str]] = {}
        for key in ("dag_run_id", date_key):
            if data.get(key, "") is None:
                errors[key] = ["Field may not be null."]
        for key in data:
            if key not in allowed:
                errors[key] = ["Unknown field."]
        if not errors and (data.get("data_interval_start") is None) != (
            data.get("data_interval_end") is None
        ):
            errors["_schema"] = [
                "Both 'data_interval_start' and 'data_interval_end' must be specified together"
            ]
        if errors:
            raise self.bad_request(repr(errors))

    def update_state(self, call: Call) -> Response:
        run = self._run(call, self._not_in_dag(call), None)
        data = json.loads(call.request.body)
        unknown = {name: ["Unknown field."] for name in data if name != "state"}
        if unknown:
            raise self.bad_request(repr(unknown))
        if "state" not in data:
            raise self.oops()
        self.store.mark(run, data["state"])
        return self.ok(self.run_body(run))

    def set_note(self, call: Call) -> Response:
        run = self._run(call, self._not_in_dag(call), None)
        data = json.loads(call.request.body)
        errors = {name: ["Unknown field."] for name in data if name != "note"}
        if len(data.get("note") or "") > 1000:
            errors["note"] = ["Longer than maximum length 1000."]
        if errors:
            raise self.bad_request(repr(errors))
        if "note" not in data:
            raise self.oops()
        self.store.set_note(run, data["note"])
        return self.ok(self.run_body(run))

    def clear(self, call: Call) -> Response:
        run = self._run(call, self._not_in_dag(call, gap="   "), None)
        data = json.loads(call.request.body)
        unknown = {name: ["Unknown field."] for name in data if name != "dry_run"}
        if unknown:
            raise self.bad_request(repr(unknown))
        if data.get("dry_run", True):
            refs = [
                {
                    "dag_id": run.dag_id,
                    "dag_run_id": run.run_id,
                    "execution_date": iso(run.logical_date),
                    "task_id": ti.task_id,
                }
                for ti in run.tasks
            ]
            return self.ok({"task_instances": refs})
        self.store.clear(run)
        return self.ok(self.run_body(run))

    def events(self, call: Call) -> Response:
        run = self._run(call, "DAGRun not found", self._missing(call))
        bodies = [self.event_body(self.store.event(i)) for i in run.consumed_events]
        return self.ok({"dataset_events": bodies, "total_entries": len(bodies)})


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
