"""Authentication as httpx.Auth: a token as given, or a token login renewed as needed.

`LoginAuth` (sync) and `AsyncLoginAuth` exchange credentials for a token at a login endpoint
(Airflow 3's `POST /auth/token`), reuse it until shortly before it expires, and on a rejected
token log in once more and retry. Their flow is one source (`_async/auth.py`, the sync twin
generated); the state they share lives here. The adapter describes the login request and
reads the token; this module only knows the flow.

When a token expires is measured on the client's own monotonic clock: the token's lifetime
(`exp - iat`, both from the server's clock) is added to when the login was sent, so a server
clock that is ahead of or behind the client's (skew) does not matter, and the margin only has
to cover the trip to the server.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any

import httpx

from airflow_bridge._secrets import Secret
from airflow_bridge.adapters import ApiRequest
from airflow_bridge.retries import RETRY_STATUSES

log = logging.getLogger("airflow_bridge")

#: Log in again this many seconds before the token expires (at most half its lifetime), so
#: no request races the expiry.
EXPIRY_MARGIN = 30.0

#: What httpx's `sync_auth_flow` / `async_auth_flow` are: requests out, responses in.
Flow = Generator[httpx.Request, httpx.Response, None]
AsyncFlow = AsyncGenerator[httpx.Request, httpx.Response]


class BearerToken(httpx.Auth):
    """A token the user already has; sent as-is on every request."""

    def __init__(self, token: str) -> None:
        self._header = Secret(f"Bearer {token}")

    def auth_flow(self, request: httpx.Request) -> Flow:
        request.headers["Authorization"] = self._header.reveal()
        yield request

    def __repr__(self) -> str:
        return "BearerToken(<hidden>)"


class LoginAuthBase(httpx.Auth):
    """The token, its expiry and the login request, shared by the sync and async flows.

    The flows read each response body themselves (`read()`/`aread()`), so httpx's
    `requires_response_body` is not needed: it only serves httpx's default flows, which
    these override.
    """

    def __init__(
        self,
        base_url: str,
        login: ApiRequest,
        parse_token: Callable[[httpx.Response], str],
        token_rejected: Callable[[httpx.Response], bool],
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._login_url = base_url + login.path
        self._login_body = Secret(login.json)  # the password: hidden from reprs and locals
        self._parse_token = parse_token
        self._token_rejected = token_rejected
        self._clock = clock or time.monotonic  # looked up now, so tests can replace it
        self._token: Secret[str] | None = None
        self._refresh_at: float | None = None  # on `clock`; None: no expiry known
        self._login_sent_at = 0.0
        self._login_started = 0.0

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._login_url!r})"

    def auth_flow(self, request: httpx.Request) -> Flow:
        """Only the flow of the client this auth was made for runs (never unauthenticated)."""
        raise RuntimeError(f"{type(self).__name__} serves only the client it was made for")

    def _fresh(self) -> bool:
        if self._token is None:
            return False
        return self._refresh_at is None or self._clock() < self._refresh_at

    def _login_request(self) -> httpx.Request:
        self._login_sent_at = self._clock()
        self._login_started = time.perf_counter()  # for the DEBUG log, as the driver times
        return httpx.Request("POST", self._login_url, json=self._login_body.reveal())

    def _accept_login(self, response: httpx.Response) -> bool:
        """Take the token from a login answer: True when there is one. False for a 429, 502,
        503 or 504 (the flow then ends with that answer, which the plan retries like other
        requests, or raises as `RateLimited`/`ServerError` naming the login URL); any other
        refusal is raised here (`AuthenticationError` with the server's words for 400, 401,
        422). The exchange is logged at DEBUG as the driver logs requests (method, path,
        status, seconds; never the body or the token)."""
        log.debug(
            "login %s %s -> %s in %.3f s",
            response.request.method,
            response.request.url.raw_path.decode("ascii"),
            response.status_code,
            time.perf_counter() - self._login_started,
        )
        if response.status_code in RETRY_STATUSES:
            return False
        token = Secret(self._parse_token(response))
        self._token = token
        lifetime = _jwt_lifetime(token.reveal())
        self._refresh_at = None
        if lifetime is not None:
            margin = min(EXPIRY_MARGIN, lifetime / 2)
            self._refresh_at = self._login_sent_at + lifetime - margin
        return True

    def _authorized(self, request: httpx.Request) -> httpx.Request:
        assert self._token is not None
        request.headers["Authorization"] = f"Bearer {self._token.reveal()}"
        return request


def _jwt_lifetime(token: str) -> float | None:
    """Seconds a JWT is valid for: `exp - iat` (both on the server's clock), or `exp` minus
    the client's wall time when it has no `iat`; read without verifying (the server does).
    None when it has no `exp`."""
    try:
        payload = token.split(".")[1]
        claims: Any = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        exp, iat = claims.get("exp"), claims.get("iat")
    except (IndexError, ValueError, AttributeError):
        return None
    if not _number(exp):
        return None
    return max(0.0, float(exp) - (float(iat) if _number(iat) else time.time()))


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
