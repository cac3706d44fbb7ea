"""One refresh rule for every expiring credential: OAuth2, Google, MWAA, token providers.

`RefreshingAuth` is an `httpx.Auth` that keeps one credential, gets a new one when the old one
is within `refresh_margin` seconds of its expiry (clock skew between us and the issuer), and,
when the server still refuses it (401), gets a new one once and retries. Getting a credential
is single-flight: concurrent requests (threads on the sync side, tasks on the async side) wait
for one acquisition instead of each starting their own.

A subclass says how to get a credential in `_login(current)`: a sans-I/O generator that
yields `httpx.Request`s (to a token endpoint; the client sends them, so one piece serves sync
and async) and `Offload`s (a blocking call into a library that does its own I/O: google-auth,
boto3, a user's callable; the async flow runs it in a worker thread so the event loop never
blocks), and returns a `Credential`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any

import anyio
import anyio.to_thread
import attrs
import httpx

from airflow_bridge.errors import AirflowBridgeError, InvalidArgument

#: Renew this many seconds before the credential's expiry, so no request races the expiry.
REFRESH_MARGIN = 30.0

LoginFlow = Generator["httpx.Request | Offload", Any, "Credential"]


class CredentialsUnavailable(AirflowBridgeError):
    """A credential could not be obtained from its source (Google, AWS, a token provider).

    The message names the source and the error's type, never a secret; the library's own
    exception is chained as `__cause__`.
    """


@attrs.frozen
class Offload:
    """A step of a login that blocks (a library's own I/O): its result is sent back in."""

    call: Callable[[], Any]


@attrs.frozen
class Credential:
    """What a scheme sends: a value (never in reprs), when it expires, and an optional refresh
    token (OAuth2). Times are seconds since the epoch; `None` means "until refused"."""

    value: str = attrs.field(repr=False)
    expires_at: float | None = None
    refresh_token: str | None = attrs.field(default=None, repr=False)
    refresh_expires_at: float | None = None


class RefreshingAuth(httpx.Auth):
    """The shared refresh-and-retry flow; subclasses implement `_login`.

    Token answers are read in full before `_login` sees them; the server's answers are passed
    on unread (a 401 is judged by its status).
    """

    def __init__(
        self, *, refresh_margin: float = REFRESH_MARGIN, clock: Callable[[], float] = time.time
    ) -> None:
        if refresh_margin < 0:
            raise InvalidArgument(f"refresh_margin must be >= 0 seconds, got {refresh_margin!r}")
        self._margin = refresh_margin
        self._clock = clock
        self._credential: Credential | None = None
        self._thread_lock = threading.Lock()
        self._task_lock: anyio.Lock | None = None
        #: How many credentials were obtained so far (tests and diagnostics read it).
        self.acquisitions = 0

    # -- what subclasses provide -------------------------------------------------------------

    def _login(self, current: Credential | None) -> LoginFlow:
        """Yield requests and offloaded calls to obtain a credential; return it."""
        raise NotImplementedError
        yield  # pragma: no cover - makes this a generator

    def _apply(self, request: httpx.Request, credential: Credential) -> httpx.Request:
        """Put the credential on the request (default: a bearer token)."""
        request.headers["Authorization"] = f"Bearer {credential.value}"
        return request

    def _rejected(self, response: httpx.Response) -> bool:
        """Whether the server refused the credential (default: 401)."""
        return response.status_code == 401

    # -- the flow ----------------------------------------------------------------------------

    def _fresh(self) -> bool:
        credential = self._credential
        if credential is None:
            return False
        return credential.expires_at is None or (
            self._clock() < credential.expires_at - self._margin
        )

    def _stale(self, attempt: int, used: Credential | None) -> bool:
        # first attempt: renew when near expiry; the retry: renew unless another request
        # already did while this one waited for the lock
        return not self._fresh() if attempt == 0 else self._credential is used

    def _store(self, credential: Credential) -> Credential:
        self._credential = credential
        self.acquisitions += 1
        return credential

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        used: Credential | None = None
        for attempt in range(2):
            with self._thread_lock:
                if self._stale(attempt, used):
                    login = self._login(self._credential)
                    try:
                        step = next(login)
                        while True:
                            if isinstance(step, Offload):
                                step = login.send(step.call())
                                continue
                            answer = yield step
                            answer.read()
                            step = login.send(answer)
                    except StopIteration as done:
                        self._store(done.value)
                used = self._credential
            assert used is not None
            response = yield self._apply(request, used)
            if attempt or not self._rejected(response):
                return

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if self._task_lock is None:
            self._task_lock = anyio.Lock()
        used: Credential | None = None
        for attempt in range(2):
            async with self._task_lock:
                if self._stale(attempt, used):
                    login = self._login(self._credential)
                    try:
                        step = next(login)
                        while True:
                            if isinstance(step, Offload):
                                step = login.send(await anyio.to_thread.run_sync(step.call))
                                continue
                            answer = yield step
                            await answer.aread()
                            step = login.send(answer)
                    except StopIteration as done:
                        self._store(done.value)
                used = self._credential
            assert used is not None
            response = yield self._apply(request, used)
            if attempt or not self._rejected(response):
                return
