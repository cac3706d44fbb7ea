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
from airflow_bridge.testing._state import (
    BRIDGE_DAGS,
    FAILED,
    FINISHED,
    QUEUED,
    RUNNING,
    SUCCESS,
    DagSpec,
    Store,
)
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

    Without `auto` runs move only when the test says so (`advance`, `complete_all`), so a
    test sees every state it asks for; `auto` plays a scheduler that is always a few
    requests behind.

    Args:
        version: The Airflow release to answer as, e.g. "2.10.5" (`/api/v1`) or "3.3.2"
            (`/api/v2`); "2" and "3" mean 2.10.5 and 3.3.2, the releases of the project's
            live test servers. Fields, routes and behaviours newer than the release are
            left out (`_gates.ADDED_IN`).
        users: User name -> password (default: admin/admin and viewer/viewer).
        roles: User name -> role for some users; "viewer" may only read, everyone else is
            an admin (default: viewer is a viewer).
        dags: DAG ids or `DagSpec`s the fake knows (default: `BRIDGE_DAGS`, the DAGs of the
            project's real test servers: bridge_plain, bridge_producer, bridge_consumer, and
            bridge_failing, paused at creation, whose explode task always fails).
        clock: What the fake reads the time from (default: a `Clock`, wall time that
            `advance()` can push forward; a `ManualClock` makes timestamps deterministic).
        auto: Requests per automatic scheduler step: every active run of an unpaused DAG
            moves one state (queued -> running -> success, or failed for a DAG with
            `failing` tasks) each `auto` requests; on Airflow 3 a queued run waits for its
            `run_after` (seen on 3.3.2). None: runs move only when told.
        token_lifetime: Seconds an Airflow 3 `/auth/token` JWT stays valid (default 86400,
            what a token from live 3.3.2 lasts); unused on Airflow 2.
        auth: Require another auth scheme than the generation's own (Basic on Airflow 2,
            the `/auth/token` login on 3): "kerberos", "google", "mwaa" (Airflow 2 only),
            "oauth2", or a configured `KerberosScheme`, `GoogleScheme`, `MWAAScheme` or
            `OAuth2Scheme`; `fake.auth_scheme` then mints credentials. None or "basic":
            the generation's own.

    Raises:
        ValueError: `version` is no 2.x/3.x release number, `auto` is below 1, or `auth`
            names no scheme or one the generation does not take (Kerberos, Google and
            MWAA are Airflow 2 API auth backends).
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
        """Let the scheduler move a run now, whether or not its DAG is paused.

        Finishing runs its unfinished tasks (a queued run is started first); success also
        fires the DAG's asset events, which create runs of the unpaused consumer DAGs.

        Args:
            run_id: The run to move.
            to: "running" (from queued), or "success"/"failed" (from queued or running).
            dag_id: The run's DAG; needed only when several DAGs have a run `run_id`.

        Raises:
            KeyError: No run `run_id` (in `dag_id`).
            ValueError: The run id is in several DAGs and `dag_id` is None, the run cannot
                make that move (already running or finished), or `to` is no such state.
        """
        with self.store.lock:
            self.store.advance(self.store.find(run_id, dag_id), to)

    def complete_all(self, state: str = "success") -> list[str]:
        """Finish every queued or running run of unpaused DAGs, as the scheduler eventually
        would, including the consumer runs their asset events create on success.

        Args:
            state: "success" or "failed", for every run it finishes.

        Returns:
            The ids of the runs it finished, oldest first, consumer runs after their
            producers; runs of paused DAGs stay as they are.

        Raises:
            ValueError: `state` is neither "success" nor "failed".
        """
        if state not in FINISHED:
            raise ValueError("state must be 'success' or 'failed'")
        with self.store.lock:
            return [run.run_id for run in self.store.complete_all(state)]

    def state(self, run_id: str, *, dag_id: str | None = None) -> str:
        """A run's current state, read without a request (so no scheduler heartbeat).

        Args:
            run_id: The run to read.
            dag_id: The run's DAG; needed only when several DAGs have a run `run_id`.

        Returns:
            "queued", "running", "success" or "failed".

        Raises:
            KeyError: No run `run_id` (in `dag_id`).
            ValueError: The run id is in several DAGs and `dag_id` is None.
        """
        with self.store.lock:
            return self.store.find(run_id, dag_id).state

    def pause(self, dag_id: str, paused: bool = True) -> None:
        """Pause or unpause a DAG without a request.

        A paused DAG's runs stay queued or running, and asset events for it wait; unpausing
        creates the one run those waiting events trigger.

        Args:
            dag_id: The DAG.
            paused: True to pause, False to unpause.

        Raises:
            KeyError: The fake has no DAG `dag_id`.
        """
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
        """Put a manual run in place without a request, e.g. to seed a listing.

        Its run_after (and queued_at) is the clock's now; it has no note and no triggering
        user. A run added as "success" fires the DAG's asset events like `advance`.

        Args:
            dag_id: The run's DAG.
            run_id: Its id; an existing run of the DAG with that id is replaced.
            state: "queued" (default), "running", "success" or "failed".
            logical_date: Its logical date, also both ends of its data interval (default:
                now on Airflow 2; none on Airflow 3, as a run triggered with a null
                logical_date has).
            conf: Its conf (default: empty).

        Raises:
            KeyError: The fake has no DAG `dag_id`.
            ValueError: `state` is no run state (checked before anything changes).
        """
        if state not in (QUEUED, RUNNING, SUCCESS, FAILED):
            raise ValueError(f"state must be queued, running, success or failed, not {state!r}")
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
        """Make the next `times` matching requests fail or slow down, as the network or a
        proxy in front of Airflow would.

        Faults act before the API: a request answered with an error or dropped never
        reaches the store or the scheduler. Every matching rule counts a hit and adds its
        delay; the first matching rule with a `status` or `drop` decides the answer.

        Args:
            target: What it matches: an operation name ("trigger", "get", "list",
                "batch_list", "update", "set_note", "clear", "delete", "upstream_events",
                "wait", "token", "version", "health", "get_dag", "patch_dag", "list_dags",
                "list_task_instances", "get_task_instance", "task_logs",
                "clear_task_instances"), a path glob ("/api/v1/dags/*"), a method and
                a glob ("PATCH /api/v2/*"), or "*" (default) for every request.
            status: Answer with this HTTP error status, in the server's own error shape.
                It must be one `http.HTTPStatus` names (e.g. 429, 503).
                None: answer normally (after `delay`).
            times: How many matching requests it affects (default 1); None: all, forever.
            delay: Seconds to wait before answering. Through the transports, a delay at or
                past the client's read timeout ends in httpx.ReadTimeout after that timeout.
            retry_after: Seconds for a `Retry-After` header on the error (for 429/503).
            drop: True or "disconnect": hang up without an answer (httpx.RemoteProtocolError
                through the transports); "refuse": refuse the connection
                (httpx.ConnectError through the transports; the loopback server, which has
                already accepted it, hangs up instead). False: no drop.
            html: Answer `status` as a proxy's HTML error page instead of Airflow's JSON.

        Returns:
            The rule; its `hits` counts the requests it has affected.

        Raises:
            ValueError: `status` is outside 400-599 or a code `http.HTTPStatus` does not
                name, or `drop` is a string other than "disconnect" or "refuse".
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

    def rotate_secret(self) -> None:
        """Sign tokens with a new secret from now on, as an Airflow 3 api-server restarted
        with a new JWT secret does: every token issued before is refused with 403 "Invalid
        JWT token" (what live 3.3.2 answers a token whose signature it cannot verify), and a
        new login works.

        Raises:
            ValueError: On Airflow 2, which issues no tokens.
        """
        if not isinstance(self._api, V2):
            raise ValueError(f"{self.version} issues no tokens: rotate_secret is Airflow 3 only")
        with self.store.lock:
            self._api.secret = secrets.token_bytes(32)

    def clear_faults(self) -> None:
        """Remove every injected fault, spent or not: requests are answered normally again."""
        self.faults.clear()

    # -- serving -------------------------------------------------------------------------

    def plan(self, request: Request) -> Outcome:
        """What injected faults do to this request; the transports and the loopback server
        act on it (wait, hang up or refuse) before calling `respond`.

        Counts a hit on every matching fault, so call it once per request.

        Args:
            request: The request as the fake sees it.

        Returns:
            The delay to wait, and a drop or an error status if a fault decides one
            (an `Outcome` with neither when no fault matches).
        """
        with self.store.lock:
            operation = self._api.operation(request)
        return self.faults.outcome(request.method, request.path, operation)

    def respond(self, request: Request, outcome: Outcome | None = None) -> Response:
        """The answer to one request: an injected error, or the API's.

        An answered request is kept in `requests`, ticks the clock and gives the scheduler
        one heartbeat (moving runs when `auto` is set) before the API handles it; refusals
        (401, 404, 422, ...) come back as responses in the release's shape. An injected
        error does none of that. Waiting and dropping are the caller's part (see `plan`).

        Args:
            request: The request as the fake sees it.
            outcome: What `plan` decided for it; None or one without a `status`: the API
                answers.

        Returns:
            The status, headers and body (or a stream of chunks, for the wait endpoint).

        Raises:
            ValueError: The outcome's `status` is a code `http.HTTPStatus` does not name
                (`inject` refuses those; only a hand-made `Outcome` can carry one).
        """
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
        """An httpx transport for `httpx.Client(transport=...)` (or the library's Client).

        Injected drops and timeouts surface as what httpx raises for a real server:
        httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadTimeout.

        Returns:
            A transport answering from this fake in the calling thread.
        """
        return httpx.MockTransport(sync_handler(self))

    def async_transport(self) -> httpx.MockTransport:
        """The same for `httpx.AsyncClient` (or the library's AsyncClient).

        Returns:
            A transport whose delays are `anyio.sleep`s and whose streamed bodies (the
            wait endpoint, which sleeps between states) are read in a worker thread, so
            the event loop is never blocked by them.
        """
        return httpx.MockTransport(async_handler(self))

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> FakeServer:
        """Serve on a real socket in a background thread, for clients that cannot take an
        httpx transport (other languages, the CLI, curl); use it as a context manager.

        Args:
            host: The address to listen on (default: loopback only).
            port: The TCP port; 0 (default) lets the OS pick a free one (see `server.url`).

        Returns:
            The running server, already accepting connections.

        Raises:
            OSError: The address cannot be bound (port in use, unknown host).
        """
        return FakeServer(self, host, port)


def _spec(dag: str | DagSpec) -> DagSpec:
    return DagSpec(dag) if isinstance(dag, str) else dag
