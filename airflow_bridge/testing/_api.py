"""The endpoints, written once: routing, users and roles, DAG and run lookups, listings.

What happens to DAGs and runs is the same on every release; how a release authenticates,
validates, words an error and shapes a body is its dialect's (`_v1`, `_v2`), which
subclasses `Api` and fills in the abstract hooks. Versions gate features through one table
(`_gates`).
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from airflow_bridge.testing._auth_schemes import AuthScheme
from airflow_bridge.testing._gates import Release
from airflow_bridge.testing._http import (
    Abort,
    Call,
    Request,
    Response,
    Route,
    Router,
    json_response,
)
from airflow_bridge.testing._query import Key, RunFilter, like, order
from airflow_bridge.testing._state import AssetEvent, Dag, Run, Store
from airflow_bridge.testing._task_instances import TaskInstanceEndpoints

READ_ONLY_ROLES = frozenset({"viewer"})


def git_version(version: str) -> str:
    """A stable stand-in for the release's git hash."""
    return ".release:" + hashlib.sha1(version.encode()).hexdigest()


@dataclass
class Listing:
    """A run listing request, read by the dialect: what to select, in which order, which page."""

    selection: RunFilter
    keys: list[Key]
    limit: int
    offset: int = 0
    cursor: str | None = None  # keyset pagination (Airflow 3.2.2+)
    fields: list[str] = field(default_factory=list)  # Airflow 2's `fields` parameter


class Api(TaskInstanceEndpoints, ABC):
    """One API generation over a store; a dialect subclass says how this release speaks."""

    api: ClassVar[str]  # "v1" or "v2": the gate table to read
    prefix: ClassVar[str]
    health_paths: ClassVar[Sequence[str]]
    batch_path: ClassVar[str]  # the batch list endpoint, under the prefix
    events_path: ClassVar[str]  # the upstream events endpoint, under a run
    events_key: ClassVar[str]
    true_words: ClassVar[frozenset[str]]  # what the DAG list's `paused` reads as true
    sorted_keys: ClassVar[bool]  # Flask sorts JSON keys, FastAPI keeps the model's order
    validates_first: ClassVar[bool]  # the body before the run lookup (FastAPI), or after

    def __init__(
        self,
        store: Store,
        *,
        version: str,
        users: Mapping[str, str],
        roles: Mapping[str, str],
        scheme: AuthScheme | None = None,
    ) -> None:
        self.store = store
        self.version = version
        self.release = Release(self.api, version)
        self.users = dict(users)
        self.roles = dict(roles)
        #: How non-public endpoints authenticate; None: the generation's own (`_auth_schemes`).
        self.scheme = scheme
        if scheme is not None:
            scheme._bind(self)
        logins = scheme._routes() if scheme else []
        #: The scheme's own endpoints (a token endpoint, a web login): not the API's, so
        #: none of its checks apply to them.
        self.login_routes = frozenset(route.name for route in logins)
        routes = [*self.routes(), *self.own_routes(), *logins]
        self.router = Router([r for r in routes if self.release.present("route", r.name)])

    def routes(self) -> list[Route]:
        dag = self.prefix + "/dags/{dag_id}"
        run = self.run_path
        return [
            Route("GET", self.prefix + "/version", "version", self.get_version, public=True),
            *[Route("GET", p, "health", self.get_health, public=True) for p in self.health_paths],
            Route("GET", self.prefix + "/dags", "list_dags", self.list_dags),
            Route("GET", dag, "get_dag", self.get_dag),
            Route("PATCH", dag, "patch_dag", self.patch_dag, write=True),
            Route("GET", dag + "/dagRuns", "list", self.list_runs),
            Route("POST", dag + "/dagRuns", "trigger", self.trigger, write=True),
            Route("POST", self.prefix + self.batch_path, "batch_list", self.batch_list),
            Route("GET", run, "get", self.get_run),
            Route("DELETE", run, "delete", self.delete_run, write=True),
            Route("PATCH", run, "update", self.update, write=True),
            Route("POST", run + "/clear", "clear", self.clear, write=True),
            Route("GET", run + "/" + self.events_path, "upstream_events", self.events),
            *self.task_routes(),
        ]

    @property
    def run_path(self) -> str:
        return self.prefix + "/dags/{dag_id}/dagRuns/{dag_run_id}"

    # -- the dialect's hooks: the generation's order of checks, its wording and shapes -------
    # admit: checks before an endpoint, in the generation's order; the user (None: public).
    # missing_*: a 404 worded as that operation words it. paging: the DAG list's (limit,
    # offset). read_list/read_batch: a run listing's request, validated. read: the validated
    # body of "update"/"set_note" (the fields to apply) or "clear". error: an injected fault.

    def own_routes(self) -> list[Route]:
        return []

    @abstractmethod
    def admit(self, route: Route, request: Request) -> str | None: ...

    @abstractmethod
    def no_route(self, request: Request) -> Response: ...

    @abstractmethod
    def error(self, status: int, message: str) -> Response: ...

    @abstractmethod
    def missing_dag(self, operation: str, dag_id: str) -> Abort: ...

    @abstractmethod
    def missing_run(self, operation: str, call: Call) -> Abort: ...

    @abstractmethod
    def paging(self, request: Request) -> tuple[int, int]: ...

    @abstractmethod
    def read_list(self, call: Call) -> Listing: ...

    @abstractmethod
    def read_batch(self, call: Call) -> Listing: ...

    @abstractmethod
    def read(self, operation: str, call: Call) -> dict[str, Any]: ...

    @abstractmethod
    def collection(self, runs: list[Run], listing: Listing) -> Response: ...

    @abstractmethod
    def run_body(self, run: Run) -> dict[str, Any]: ...

    @abstractmethod
    def dag_body(self, dag: Dag) -> dict[str, Any]: ...

    @abstractmethod
    def event_body(self, event: AssetEvent, consumer: Run) -> dict[str, Any]: ...

    @abstractmethod
    def dry_run_body(self, run: Run, options: dict[str, Any]) -> dict[str, Any]: ...

    @abstractmethod
    def patch_dag(self, call: Call) -> Response: ...

    @abstractmethod
    def trigger(self, call: Call) -> Response: ...

    def refuse_delete(self, run: Run) -> Abort | None:
        """Why this release will not delete the run now, if it will not."""
        return None

    def shown(self, body: dict[str, Any], call: Call) -> dict[str, Any]:
        """A fetched run's body as the request asks for it (Airflow 2's `fields`)."""
        return body

    # -- serving ---------------------------------------------------------------------------

    def operation(self, request: Request) -> str | None:
        match = self.router.find(request.method, request.path)
        return match.route.name if match else None

    def handle(self, request: Request) -> Response:
        match = self.router.find(request.method, request.path)
        try:
            if match is None:
                return self.no_route(request)
            route = match.route
            user = None if route.name in self.login_routes else self.admit(route, request)
            return match.route.handler(Call(request, match.params, user))
        except Abort as abort:
            return abort.response

    def ok(self, body: Any) -> Response:
        return json_response(200, body, sort_keys=self.sorted_keys)

    def may_write(self, user: str) -> bool:
        return self.roles.get(user, "admin") not in READ_ONLY_ROLES

    def dag(self, operation: str, dag_id: str) -> Dag:
        dag = self.store.dags.get(dag_id)
        if dag is None:
            raise self.missing_dag(operation, dag_id)
        return dag

    def run(self, operation: str, call: Call) -> Run:
        run = self.store.run(call.params["dag_id"], call.params["dag_run_id"])
        if run is None:
            raise self.missing_run(operation, call)
        return run

    # -- endpoints -------------------------------------------------------------------------

    def get_version(self, call: Call) -> Response:
        return self.ok({"version": self.version, "git_version": git_version(self.version)})

    def get_health(self, call: Call) -> Response:
        beat = self.store.clock.now().isoformat()
        body = {
            "metadatabase": {"status": "healthy"},
            "scheduler": {"status": "healthy", "latest_scheduler_heartbeat": beat},
            "triggerer": {"status": None, "latest_triggerer_heartbeat": None},
            "dag_processor": {"status": None, "latest_dag_processor_heartbeat": None},
        }
        return self.ok(self.release.keep("health", body))

    def list_dags(self, call: Call) -> Response:
        request = call.request
        limit, offset = self.paging(request)
        dags = sorted(self.store.dags.values(), key=lambda d: d.dag_id)  # order_by dag_id
        paused = request.last("paused")
        if paused is not None:
            dags = [d for d in dags if d.paused == (paused.lower() in self.true_words)]
        tags = set(request.values("tags"))
        if tags:  # a DAG with any of the tags
            dags = [d for d in dags if tags & set(d.spec.tags)]
        pattern = request.last("dag_id_pattern")
        if pattern:  # SQL ILIKE '%pattern%' on both generations
            dags = [d for d in dags if like(pattern).fullmatch(d.dag_id)]
        bodies = [self.dag_body(d) for d in dags[offset : offset + limit]]
        return self.ok({"dags": bodies, "total_entries": len(dags)})

    def get_dag(self, call: Call) -> Response:
        return self.ok(self.dag_body(self.dag("get_dag", call.params["dag_id"])))

    def list_runs(self, call: Call) -> Response:
        return self.listed(self.read_list(call))

    def batch_list(self, call: Call) -> Response:
        return self.listed(self.read_batch(call))

    def listed(self, listing: Listing) -> Response:
        now = self.store.clock.now()
        runs = order(listing.selection.select(self.store.all_runs(), now), listing.keys)
        return self.collection(runs, listing)

    def get_run(self, call: Call) -> Response:
        return self.ok(self.shown(self.run_body(self.run("get", call)), call))

    def delete_run(self, call: Call) -> Response:
        run = self.run("delete", call)
        refusal = self.refuse_delete(run)
        if refusal is not None:
            raise refusal
        self.store.delete(run)
        return Response(204, {"content-type": "application/json"})

    def events(self, call: Call) -> Response:
        run = self.run("upstream_events", call)
        bodies = [self.event_body(self.store.event(i), run) for i in run.consumed_events]
        return self.ok({self.events_key: bodies, "total_entries": len(bodies)})

    def created(
        self,
        call: Call,
        run_id: str,
        body: Mapping[str, Any],
        logical_date: datetime | None,
        interval: tuple[datetime, datetime] | None,
        run_after: datetime,
    ) -> Response:
        """A triggered run (an empty conf or note is none, on both generations); its body."""
        run = self.store.create_run(
            call.params["dag_id"],
            run_id,
            logical_date=logical_date,
            data_interval=interval,
            run_after=run_after,
            conf=body.get("conf") or {},
            note=body.get("note") or None,
            user=call.user,
            triggered_by="ui" if call.request.headers.get("referer") else "rest_api",
        )
        return self.ok(self.run_body(run))

    def looked_up(self, operation: str, call: Call) -> tuple[Run, dict[str, Any]]:
        """The run and the validated body, checked in the generation's order."""
        if self.validates_first:
            values = self.read(operation, call)
            return self.run(operation, call), values
        run = self.run(operation, call)
        return run, self.read(operation, call)

    def update(self, call: Call, operation: str = "update") -> Response:
        """Set the state and/or note (Airflow 2 sets the note through its own endpoint)."""
        run, values = self.looked_up(operation, call)
        if "note" in values:
            removes = values["note"] == "" and self.release.has("empty_note_removes")
            self.store.set_note(run, None if removes else values["note"])
        if values.get("state") is not None:
            skips = self.release.has("success_skips_unstarted")
            self.store.mark(run, values["state"], success_skips_unstarted=skips)
        return self.ok(self.run_body(run))

    def clear(self, call: Call) -> Response:
        run, values = self.looked_up("clear", call)
        if values.get("dry_run", True):
            return self.ok(self.dry_run_body(run, values))
        self.store.clear(run)
        if values.get("note"):
            self.store.set_note(run, values["note"])
        return self.ok(self.run_body(run))
