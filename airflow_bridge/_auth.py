"""Authentication as httpx.Auth flows, so one class serves the sync and the async client.

`LoginAuth` exchanges credentials for a token at a login endpoint (Airflow 3's
`POST /auth/token`), reuses it until shortly before its `exp`, and on a 401 logs in once more
and retries. Concurrent requests share one login: only the lock differs between the sync and
async sides. The adapter describes the login request and reads the token; this module only
knows the flow.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any

import anyio
import httpx

from airflow_bridge.adapters import ApiRequest

#: Log in again this many seconds before the token's `exp`, so no request races the expiry.
EXPIRY_MARGIN = 30.0


class BearerToken(httpx.Auth):
    """A token the user already has; sent as-is on every request."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return "BearerToken(<hidden>)"


class LoginAuth(httpx.Auth):
    """Logs in for a token, reuses it until it nearly expires, logs in again once when the
    server rejects the token (the adapter says what a rejection looks like)."""

    requires_response_body = True

    def __init__(
        self,
        base_url: str,
        login: ApiRequest,
        parse_token: Callable[[httpx.Response], str],
        token_rejected: Callable[[httpx.Response], bool],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._login_url = base_url + login.path
        self._login_body = login.json
        self._parse_token = parse_token
        self._token_rejected = token_rejected
        self._clock = clock
        self._token: str | None = None
        self._expires_at: float | None = None
        self._thread_lock = threading.Lock()
        self._task_lock: anyio.Lock | None = None

    def __repr__(self) -> str:
        return f"LoginAuth({self._login_url!r})"

    @property
    def logged_in(self) -> bool:
        return self._token is not None

    def _fresh(self) -> bool:
        if self._token is None:
            return False
        return self._expires_at is None or self._clock() < self._expires_at - EXPIRY_MARGIN

    def _login_request(self) -> httpx.Request:
        return httpx.Request("POST", self._login_url, json=self._login_body)

    def _accept_login(self, response: httpx.Response) -> None:
        token = self._parse_token(response)  # raises AuthenticationError on 401
        self._token = token
        self._expires_at = _jwt_expiry(token)

    def _authorized(self, request: httpx.Request) -> httpx.Request:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        with self._thread_lock:
            if not self._fresh():
                login = yield self._login_request()
                login.read()
                self._accept_login(login)
        used = self._token
        response = yield self._authorized(request)
        if response.status_code < 400:  # only a refusal can be a rejected token
            return
        response.read()
        if self._token_rejected(response):
            with self._thread_lock:
                if self._token == used:  # nobody logged in again meanwhile
                    login = yield self._login_request()
                    login.read()
                    self._accept_login(login)
            yield self._authorized(request)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if self._task_lock is None:
            self._task_lock = anyio.Lock()
        async with self._task_lock:
            if not self._fresh():
                login = yield self._login_request()
                await login.aread()
                self._accept_login(login)
        used = self._token
        response = yield self._authorized(request)
        if response.status_code < 400:
            return
        await response.aread()
        if self._token_rejected(response):
            async with self._task_lock:
                if self._token == used:
                    login = yield self._login_request()
                    await login.aread()
                    self._accept_login(login)
            yield self._authorized(request)


def _jwt_expiry(token: str) -> float | None:
    """The `exp` claim of a JWT, read without verifying it (the server verifies)."""
    try:
        payload = token.split(".")[1]
        claims: Any = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        exp = claims.get("exp")
    except (IndexError, ValueError, AttributeError):
        return None
    return float(exp) if isinstance(exp, int | float) else None
