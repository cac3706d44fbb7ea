"""`FakeAirflow`: one in-memory Airflow server of a chosen version, and the test's controls.

The fake answers like the real generation (see `_v1`, `_v2`), keeps state in a `Store`,
lets the test drive the scheduler and the clock, and injects faults. The same `respond`
serves the httpx transports and the loopback HTTP server.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime
from http import HTTPStatus
from typing import Any

import httpx

from airflow_bridge.testing import _pages
from airflow_bridge.testing._api import Api
from airflow_bridge.testing._auth_schemes import AuthScheme, scheme_for
from airflow_bridge.testing._clock import Clock
from airflow_bridge.testing._faults import Fault, Faults, Outcome
from airflow_bridge.testing._http import Request, Response, html_response
from airflow_bridge.testing._server import FakeServer
from airflow_bridge.testing._state import BRIDGE_DAGS, FINISHED, QUEUED, DagSpec, Store
from airflow_bridge.testing._transport import async_handler, sync_handler
from airflow_bridge.testing._v1 import V1
from airflow_bridge.testing._v2 import V2

#: A bare major version means its newest release the project records fixtures for.
LATEST = {"2": "2.10.5", "3": "3.3.2"}
DEFAULT_USERS = {"admin": "admin", "viewer": "viewer"}
DEFAULT_ROLES = {"viewer": "viewer"}


class FakeAirflow:
    """An in-memory Airflow 2 (`/api/v1`) or 3 (`/api/v2`) DagRun API server.

    >>> fake = FakeAirflow("2.10.5")
    >>> with Client(fake.base_url, username="admin", password="admin",
    ...             transport=fake.transport()) as client:
    ...     run = client.dag_runs.trigger("bridge_plain")
    >>> fake.advance(run.run_id, to="success")

    `users` maps user names to passwords; `roles` gives some of them a role ("viewer" may
    only read; everyone else is an admin). `dags` are DAG ids or `DagSpec`s (default: the
    project's bridge_plain, bridge_producer and bridge_consumer). `auto=N` lets the
    scheduler move each run one state (queued, running, success) every N requests; without
    it runs move only when the test says so. `clock` defaults to wall time that
    `clock.advance()` can push forward. `auth` makes it require another scheme than the
    generation's own: "kerberos", "google", "mwaa" (Airflow 2 only), "oauth2", or a
    configured `AuthScheme` (`KerberosScheme`, `GoogleScheme`, ...); `fake.auth_scheme`
    then mints credentials.
    """

    base_url = "http://airflow.fake"

    def __init__(
        self,
        version: str = "3.3.2",
        *,
        users: Mapping[str, str] | None = None,
        roles: Mapping[str, str] | None = None,
        dags: Iterable[str | DagSpec] | None = None,
        clock: Clock | None = None,
        auto: int | None = None,
        token_lifetime: float = 86400.0,
        auth: str | AuthScheme | None = None,
    ) -> None:
        self.version = LATEST.get(version, version)
        major = self.version.split(".")[0]
        if major not in LATEST or not all(p.isdigit() for p in self.version.split(".")):
            raise ValueError(f"version must be an Airflow 2.x or 3.x release, not {version!r}")
        self.clock = clock or Clock()
        specs = BRIDGE_DAGS if dags is None else [_spec(d) for d in dags]
        self.store = Store(specs, clock=self.clock, major=int(major), auto=None)
        self.auto = auto
        self.faults = Faults()
        self.requests: list[Request] = []
        options: dict[str, Any] = {
            "version": self.version,
            "users": DEFAULT_USERS if users is None else users,
            "roles": DEFAULT_ROLES if roles is None else roles,
            "scheme": scheme_for(auth, "v1" if major == "2" else "v2"),
        }
        #: The auth scheme it requires (`auth=`), with what tests mint credentials from;
        #: None: the generation's own (Basic on Airflow 2, the /auth/token login on 3).
        self.auth_scheme: AuthScheme | None = options["scheme"]
        self._api: Api = (
            V1(self.store, **options)
            if major == "2"
            else V2(
                self.store, secret=secrets.token_bytes(32), token_lifetime=token_lifetime, **options
            )
        )

    def __repr__(self) -> str:
        return f"FakeAirflow({self.version!r})"

    @property
    def api(self) -> str:
        """ "v1" or "v2": the API generation this fake speaks."""
        return "v1" if self.version.startswith("2.") else "v2"

    # -- the test's controls -----------------------------------------------------------------

    @property
    def auto(self) -> int | None:
        """Requests per automatic scheduler step (None: runs move only when told)."""
        return self.store.auto

    @auto.setter
    def auto(self, requests: int | None) -> None:
        if requests is not None and requests < 1:
            raise ValueError("auto must be None or a number of requests >= 1")
        self.store.auto = requests

    def advance(self, run_id: str, to: str = "success", *, dag_id: str | None = None) -> None:
        """Let the scheduler move a run: to "running", or finish it ("success"/"failed").
        Success fires the DAG's asset events, which create consumer runs."""
        with self.store.lock:
            self.store.advance(self.store.find(run_id, dag_id), to)

    def complete_all(self, state: str = "success") -> list[str]:
        """Finish every queued or running run of unpaused DAGs (and the consumer runs that
        creates); the ids of the runs it finished."""
        if state not in FINISHED:
            raise ValueError("state must be 'success' or 'failed'")
        with self.store.lock:
            return [run.run_id for run in self.store.complete_all(state)]

    def state(self, run_id: str, *, dag_id: str | None = None) -> str:
        """A run's current state, without a request."""
        with self.store.lock:
            return self.store.find(run_id, dag_id).state

    def pause(self, dag_id: str, paused: bool = True) -> None:
        with self.store.lock:
            self.store.set_paused(self.store.dags[dag_id], paused)

    def add_run(
        self,
        dag_id: str,
        run_id: str,
        *,
        state: str = QUEUED,
        logical_date: datetime | None = None,
        conf: Mapping[str, Any] | None = None,
    ) -> None:
        """Put a manual run in place without a request, e.g. to seed a listing."""
        with self.store.lock:
            if dag_id not in self.store.dags:
                raise KeyError(f"no DAG {dag_id!r}")
            now = self.clock.now()
            date = logical_date or (now if self.api == "v1" else None)
            run = self.store.create_run(
                dag_id,
                run_id,
                logical_date=date,
                data_interval=(date, date) if date else None,
                run_after=now,
                conf=dict(conf or {}),
                note=None,
                user=None,
            )
            if state != QUEUED:
                self.store.advance(run, state)

    def inject(
        self,
        target: str = "*",
        *,
        status: int | None = None,
        times: int | None = 1,
        delay: float = 0.0,
        retry_after: int | None = None,
        drop: bool | str = False,
        html: bool = False,
    ) -> Fault:
        """Make the next `times` matching requests (None: all) fail or slow down.

        `target`: an operation ("trigger", "get", "list", "batch_list", "update",
        "set_note", "clear", "delete", "upstream_events", "wait", "token", "version",
        "health", "get_dag", "patch_dag", "list_dags"), a path glob ("/api/v1/dags/*"), a
        method and glob ("PATCH /api/v2/*"), or "*". `status` answers with that error
        (in the server's own shape, or a proxy's HTML page with `html=True`; 429/503 may
        carry `retry_after` seconds); `drop=True` hangs up without an answer, "refuse"
        refuses the connection; `delay` adds latency (past the client's read timeout:
        httpx.ReadTimeout).
        """
        kind = "disconnect" if drop is True else (drop or None)
        fault = Fault(
            target=target,
            status=status,
            times=times,
            delay=delay,
            retry_after=retry_after,
            drop=kind,
            html=html,
        )
        return self.faults.add(fault)

    def clear_faults(self) -> None:
        self.faults.clear()

    # -- serving -------------------------------------------------------------------------

    def plan(self, request: Request) -> Outcome:
        """What injected faults do to this request (transports and the server act on it)."""
        with self.store.lock:
            operation = self._api.operation(request)
        return self.faults.outcome(request.method, request.path, operation)

    def respond(self, request: Request, outcome: Outcome | None = None) -> Response:
        """The answer: an injected error, or the API's (one scheduler heartbeat first)."""
        if outcome is not None and outcome.status is not None:
            response = (
                html_response(outcome.status, _pages.proxy_error(outcome.status))
                if outcome.html
                else self._api.error(outcome.status, HTTPStatus(outcome.status).phrase)
            )
            if outcome.retry_after is not None:
                response.headers["retry-after"] = str(outcome.retry_after)
            return response
        with self.store.lock:
            self.requests.append(request)
            self.clock.tick()
            self.store.heartbeat()
            return self._api.handle(request)

    def transport(self) -> httpx.MockTransport:
        """An httpx transport for `httpx.Client(transport=...)` (or the library's Client)."""
        return httpx.MockTransport(sync_handler(self))

    def async_transport(self) -> httpx.MockTransport:
        """The same for `httpx.AsyncClient` (or the library's AsyncClient)."""
        return httpx.MockTransport(async_handler(self))

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> FakeServer:
        """Serve on a real socket in a background thread; use as a context manager."""
        return FakeServer(self, host, port)


def _spec(dag: str | DagSpec) -> DagSpec:
    return DagSpec(dag) if isinstance(dag, str) else dag
