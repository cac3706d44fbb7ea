"""The token login flow (see `_auth.LoginAuthBase` for the state it shares)."""

from __future__ import annotations

from typing import Any

import httpx

from airflow_bridge._auth import AsyncFlow, LoginAuthBase
from airflow_bridge._client import AsyncLock


class AsyncLoginAuth(LoginAuthBase):
    """Logs in for a token, reuses it until it nearly expires, logs in again once when the
    server rejects the token (the adapter says what a rejection looks like: 401 "Token
    Expired" or 403 "Invalid JWT token" on Airflow 3), and never more than once per request:
    rejected again, the rejection is the answer. Concurrent requests (threads or tasks)
    share one login: whoever holds the lock logs in, the others then use its token.

    A login answered 429, 502, 503 or 504 ends the flow with that answer before the request
    itself is sent: the plan retries it per the client's `RetryPolicy` for any operation
    (nothing reached Airflow's API), or raises it typed (`RateLimited`/`ServerError`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock = AsyncLock()

    async def async_auth_flow(self, request: httpx.Request) -> AsyncFlow:
        async with self._lock:
            if not self._fresh():
                login = yield self._login_request()
                await login.aread()
                if not self._accept_login(login):
                    return
        used = self._token
        response = yield self._authorized(request)
        if response.status_code < 400:  # only a refusal can be a rejected token
            return
        await response.aread()
        if self._token_rejected(response):
            async with self._lock:
                if self._token == used:  # nobody logged in again meanwhile
                    login = yield self._login_request()
                    await login.aread()
                    if not self._accept_login(login):
                        return
            yield self._authorized(request)
