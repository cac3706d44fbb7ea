"""The plan driver: the one place a client sends requests, sleeps and detects the server.

`AsyncDagRuns` talks to the client only through this small interface: `adapter()` (the
detected generation's adapter), `retrying(operation)` (what an operation's plan retries by)
and `run(plan)` (send a plan's requests, sleep its sleeps, return its result). A transport
failure is answered to the plan as `Lost`, never raised here: the plan decides on retries.
Every attempt is logged at DEBUG on the `airflow_bridge` logger (method, path and query,
status, seconds, attempt; never a header) and reported to the `on_event` hook. The sync twin
is generated (`scripts/unasync.py`).
"""

from __future__ import annotations

import functools
import logging
import ssl
import time
from typing import TypeVar

import httpx

from airflow_bridge import _plans as plans
from airflow_bridge._async.auth import AsyncLoginAuth
from airflow_bridge._client import (
    AsyncLimiter,
    AsyncLock,
    Settings,
    async_sleep,
    checked,
    never_sent,
    transport_error,
)
from airflow_bridge._prefetch import AsyncConcurrent
from airflow_bridge.adapters import Adapter
from airflow_bridge.errors import AuthenticationError, ClientClosed
from airflow_bridge.retries import Event, EventHook, RetryPolicy

T = TypeVar("T")
log = logging.getLogger("airflow_bridge")


class AsyncDriver:
    """Drives plans over one httpx client for one server, detecting its generation (one
    probe, cached, shared by concurrent first calls) unless `api=` named it. At most
    `max_concurrency` requests are in flight at once, whoever sends them (pages, the
    caller's own concurrent calls, a fleet)."""

    def __init__(
        self,
        settings: Settings,
        http: httpx.AsyncClient,
        *,
        retries: RetryPolicy,
        max_concurrency: int,
        on_event: EventHook | None,
    ) -> None:
        self._settings = settings
        self._http = http
        self._auth: httpx.Auth | None = None
        self._adapter: Adapter | None = None
        self._detect_lock = AsyncLock()
        self._slots = AsyncLimiter(max_concurrency)
        self._on_event = on_event
        self.policy = retries
        self._retrying: dict[str, plans.Retrying] = {}
        if settings.given_adapter is not None:
            self._use(settings.given_adapter)

    @property
    def detected(self) -> Adapter | None:
        """The adapter if the server is known already (no request)."""
        return self._adapter

    def retrying(self, operation: str) -> plans.Retrying:
        """The client's retry policy with `operation`'s rule (`retries.OPERATION_RULES`);
        made once per operation (it is immutable)."""
        retrying = self._retrying.get(operation)
        if retrying is None:
            retrying = self._retrying[operation] = plans.Retrying(self.policy, operation)
        return retrying

    async def adapter(self) -> Adapter:
        """The server's adapter, detected on first use."""
        if self._adapter is None:
            async with self._detect_lock:
                if self._adapter is None:
                    probe = plans.detect(
                        self.retrying("detect"),
                        self._settings.base_url,
                        credentials=self._settings.given_auth() is not None,
                    )
                    self._use(await self.run(probe))
        assert self._adapter is not None
        return self._adapter

    async def run(self, plan: plans.Plan[T]) -> T:
        """Drive a plan: send its requests, sleep its sleeps, return its result."""
        try:
            return await self._drive(plan)
        except AuthenticationError as exc:
            raise self._settings.explained(exc, self._adapter) from exc

    def _use(self, adapter: Adapter) -> None:
        """Adopt the detected generation and the auth it wants for our credentials."""
        self._auth = self._settings.auth_for(adapter, AsyncLoginAuth)
        self._adapter = adapter

    async def _drive(self, plan: plans.Plan[T]) -> T:
        answer: plans.Answer | None = None
        while True:
            try:
                step = plan.send(answer)
            except StopIteration as done:
                result: T = done.value
                return result
            if isinstance(step, plans.Sleep):
                if step.retry is not None:
                    self._report(step.retry, f"retrying in {step.seconds:.2f} s")
                await async_sleep(step.seconds)
                answer = None
            elif isinstance(step, plans.Parallel):
                step.results[:] = await AsyncConcurrent.run(
                    [functools.partial(self._drive, each) for each in step.plans]
                )
                answer = None
            else:
                answer = await self._send(step)

    async def _send(self, step: plans.Send) -> plans.Answer:
        """One attempt: the reply, or `Lost` with the typed error (a redirect is raised)."""
        if self._http.is_closed:
            raise ClientClosed(
                f"this client of {self._settings.base_url} is closed: make a new one"
            )
        wanted = step.request
        request = self._http.build_request(
            wanted.method,
            self._settings.base_url + wanted.path,
            params=wanted.params or None,
            json=wanted.json,
            headers=wanted.headers or None,
        )
        auth = self._settings.given_auth() if step.authenticate else self._auth
        # an Event is made only for someone who looks at it: the hook or the DEBUG log
        observed = self._on_event is not None or log.isEnabledFor(logging.DEBUG)
        started = time.perf_counter() if observed else 0.0
        answer: plans.Answer
        async with self._slots:
            try:
                response = await self._http.send(
                    request, auth=httpx.USE_CLIENT_DEFAULT if auth is None else auth
                )
            except (httpx.TransportError, ssl.SSLError) as exc:
                error = transport_error(request, exc)
                error.__cause__ = exc  # raised later by the plan, as `raise ... from exc`
                answer = plans.Lost(error, sent=not never_sent(exc))
                if observed:
                    self._report_attempt(step, request, None, type(exc).__name__, started)
                return answer
        answer = checked(response)
        if response.request is not request:  # the token login's 429/5xx (auth.py)
            answer = plans.Unsent(answer)
        if observed:
            self._report_attempt(step, response.request, response.status_code, None, started)
        return answer

    def _report_attempt(
        self,
        step: plans.Send,
        request: httpx.Request,
        status: int | None,
        failure: str | None,
        started: float,
    ) -> None:
        event = Event(
            kind="request",
            operation=step.operation,
            method=request.method,
            path=request.url.raw_path.decode("ascii"),
            attempt=step.attempt,
            status=status,
            error=failure,
            elapsed=time.perf_counter() - started,
        )
        self._report(event, "no answer" if failure else "")

    def _report(self, event: Event, note: str) -> None:
        if log.isEnabledFor(logging.DEBUG):
            said = event.status if event.status is not None else event.error
            took = "" if event.elapsed is None else f" in {event.elapsed:.3f} s"
            log.debug(
                "%s %s %s -> %s%s (attempt %d%s)",
                event.operation,
                event.method,
                event.path,
                said,
                took,
                event.attempt,
                f", {note}" if note else "",
            )
        if self._on_event is not None:
            self._on_event(event)
