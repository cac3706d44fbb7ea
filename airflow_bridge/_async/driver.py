"""The plan driver: the one place a client sends requests, sleeps and detects the server.

`AsyncDagRuns` talks to the client only through this small interface: `adapter()` (the
detected generation's adapter) and `run(plan)` (send a plan's requests, sleep its sleeps,
return its result). The sync twin is generated (`scripts/unasync.py`).
"""

from __future__ import annotations

from typing import Any, TypeVar

import httpx

from airflow_bridge import _plans as plans
from airflow_bridge._async.auth import AsyncLoginAuth
from airflow_bridge._client import (
    AsyncLock,
    Settings,
    async_sleep,
    checked,
    resend,
    transport_error,
)
from airflow_bridge.adapters import Adapter, ApiRequest, Reply
from airflow_bridge.errors import AuthenticationError

T = TypeVar("T")


class AsyncDriver:
    """Drives plans over one httpx client for one server, detecting its generation (one
    probe, cached, shared by concurrent first calls) unless `api=` named it."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self._settings = settings
        self._http = http
        self._auth: httpx.Auth | None = None
        self._adapter: Adapter | None = None
        self._detect_lock = AsyncLock()
        if settings.given_adapter is not None:
            self._use(settings.given_adapter)

    @property
    def detected(self) -> Adapter | None:
        """The adapter if the server is known already (no request)."""
        return self._adapter

    async def adapter(self) -> Adapter:
        """The server's adapter, detected on first use."""
        if self._adapter is None:
            async with self._detect_lock:
                if self._adapter is None:
                    self._use(await self.run(plans.detect(self._settings.base_url)))
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
        answer: Reply | None = None
        while True:
            try:
                step = plan.send(answer)
            except StopIteration as done:
                result: T = done.value
                return result
            if isinstance(step, plans.Sleep):
                await async_sleep(step.seconds)
                answer = None
            else:
                answer = await self._send(step)

    async def _send(self, step: ApiRequest) -> Reply:
        request = self._http.build_request(
            step.method,
            self._settings.base_url + step.path,
            params=step.params or None,
            json=step.json,
            headers=dict(step.headers) or None,
        )
        sent_with: dict[str, Any] = {} if self._auth is None else {"auth": self._auth}
        for attempt in (1, 2):
            try:
                return checked(await self._http.send(request, **sent_with))
            except httpx.TransportError as exc:
                if not resend(request, exc, attempt):
                    raise transport_error(request, exc) from exc
        raise AssertionError("the second attempt returns or raises")
