"""Authentication as httpx.Auth: a token as given, or a token login renewed as needed.

`LoginAuth` (sync) and `AsyncLoginAuth` exchange credentials for a token at a login endpoint
(Airflow 3's `POST /auth/token`), reuse it until shortly before its `exp`, and on a rejected
token log in once more and retry. Their flow is one source (`_async/auth.py`, the sync twin
generated); the state they share lives here. The adapter describes the login request and
reads the token; this module only knows the flow.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any

import httpx

from airflow_bridge._secrets import Secret
from airflow_bridge.adapters import ApiRequest

#: Log in again this many seconds before the token's `exp`, so no request races the expiry.
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
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._login_url = base_url + login.path
        self._login_body = Secret(login.json)  # the password: hidden from reprs and locals
        self._parse_token = parse_token
        self._token_rejected = token_rejected
        self._clock = clock
        self._token: Secret[str] | None = None
        self._expires_at: float | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._login_url!r})"

    def auth_flow(self, request: httpx.Request) -> Flow:
        """Only the flow of the client this auth was made for runs (never unauthenticated)."""
        raise RuntimeError(f"{type(self).__name__} serves only the client it was made for")

    def _fresh(self) -> bool:
        if self._token is None:
            return False
        return self._expires_at is None or self._clock() < self._expires_at - EXPIRY_MARGIN

    def _login_request(self) -> httpx.Request:
        return httpx.Request("POST", self._login_url, json=self._login_body.reveal())

    def _accept_login(self, response: httpx.Response) -> None:
        token = Secret(self._parse_token(response))  # raises AuthenticationError on 401
        self._token = token
        self._expires_at = _jwt_expiry(token.reveal())

    def _authorized(self, request: httpx.Request) -> httpx.Request:
        assert self._token is not None
        request.headers["Authorization"] = f"Bearer {self._token.reveal()}"
        return request


def _jwt_expiry(token: str) -> float | None:
    """The `exp` claim of a JWT, read without verifying it (the server verifies)."""
    try:
        payload = token.split(".")[1]
        claims: Any = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        exp = claims.get("exp")
    except (IndexError, ValueError, AttributeError):
        return None
    return float(exp) if isinstance(exp, int | float) else None
