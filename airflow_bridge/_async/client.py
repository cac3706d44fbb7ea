"""`AsyncClient`, written once: `Client` is generated from this file (`scripts/unasync.py`).

The server's API generation is detected lazily on first use (one probe, cached) unless `api=`
names it; credentials become HTTP Basic or a token login, as the detected generation wants.
"""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

from airflow_bridge._async.dag_runs import AsyncDagRuns
from airflow_bridge._async.dags import AsyncDags
from airflow_bridge._async.driver import AsyncDriver
from airflow_bridge._async.tasks import AsyncTaskInstances
from airflow_bridge._body_limit import DEFAULT_MAX_BODY
from airflow_bridge._client import (
    DEFAULT_TIMEOUT,
    Settings,
    concurrency,
    event_hook,
    http_options,
)
from airflow_bridge._env import client_arguments
from airflow_bridge.auth.provider import TokenProvider, TokenSource
from airflow_bridge.errors import InvalidArgument
from airflow_bridge.models import ServerInfo
from airflow_bridge.retries import (
    DEFAULT_MAX_CONCURRENCY,
    EventHook,
    RetryPolicy,
    retry_policy,
)
from airflow_bridge.types import ApiChoice

if TYPE_CHECKING:
    from typing_extensions import Self


class AsyncClient:
    """A client for one Airflow server, Airflow 2 (`/api/v1`) or 3 (`/api/v2`).

    Give `username=`/`password=` (HTTP Basic on Airflow 2, a token login on Airflow 3, renewed
    before it expires), `token=`, or any `auth=`. Credentials a server refuses are
    `AuthenticationError` on both generations (Airflow 3.3.2's login answers an empty one
    with 400), with what to change: e.g. HTTP Basic given as `auth=` to Airflow 3 says to
    pass username=/password= instead. Redirects are not followed: a 3xx (a proxy's
    http -> https) is `Redirected`, naming the target and the base_url to use. Nothing is
    sent until the first call.

    >>> async with AsyncClient("http://127.0.0.1:8080", username="admin", password="admin") as c:
    ...     run = await c.dag_runs.trigger("etl", conf={"x": 1})

    Args:
        base_url: The server's root URL, e.g. `http://host:8080` (a proxy prefix is kept;
            a trailing `/api/v1` or `/api/v2` is dropped). Credentials in it
            (`http://user:pw@host`) are taken as username/password.
        username: The user to log in as; goes with `password`.
        password: The user's password.
        token: A bearer token you already have (e.g. from Airflow 3's `/auth/token`), or
            where to get it: a callable returning it (a file, an environment variable, a
            secrets manager) or an `airflow_bridge.auth.TokenProvider`, asked again before
            the token's `exp` and once after a 401.
        auth: Any `httpx.Auth`, sent as it is.
        api: `"auto"` (the default) detects the generation with one unauthenticated probe on
            first use (sent again with `auth=` or `token=` when the server answers it 401
            or 403, as managed services guarding /version do); `"v1"` or `"v2"` skips the
            probe (the server is then taken to be that generation's newest release).
        timeout: Seconds for httpx to connect, read or write (default 30), or an
            `httpx.Timeout`.
        verify: True (the default) verifies TLS certificates, False does not; for a private
            CA pass `ssl.create_default_context(cafile="ca.pem")`.
        headers: Extra headers sent with every request.
        transport: An httpx transport (e.g. `httpx.MockTransport`, or the fake Airflow's).
        http_client: An httpx client to use as it is (its pool, proxies, TLS and timeouts);
            it is not closed by this client, and neither the body bound nor the plain-http
            credentials warning applies to it. Exclusive with timeout, verify, headers and
            transport.
        retries: A `RetryPolicy`, or an int n for n retries with the default pauses; 0
            disables retries; None (the default) is `DEFAULT_RETRIES` (4 attempts within 60
            s). Which operations are retried on which failures: `airflow_bridge.retries`.
        max_concurrency: The most requests this client has in flight at once (default 10),
            shared by pagination, concurrent calls and a fleet: Airflow's API server has no
            rate limit of its own.
        on_event: Called with an `Event` after each request attempt and before each retry
            (e.g. to count retries); what it raises propagates out of the call.
        max_body: The most bytes one answer may have, decoded (default 64 MiB): a longer
            one is `InvalidResponse`, read no further. Not applied to an `http_client=`.

    Raises:
        InvalidArgument: A base_url that is not an http(s) URL, two kinds of credentials,
            a username without password (or the reverse), a `token` that is neither a str,
            a callable nor a TokenProvider, a str `token` no HTTP header can carry (empty, a
            trailing newline, surrounding whitespace, a control or non-ASCII character; a
            callable's answer like it is refused when it returns it), a `headers` value no
            header can carry, an unknown `api`, a `verify` that
            is not a bool or `ssl.SSLContext` (a CA bundle path says how to make one), or
            `http_client` together with timeout, verify, headers, transport or max_body,
            a `max_body` below 1 byte, a `timeout` that is not a positive number of seconds
            or an `httpx.Timeout`, a username or password that is not a str, a `retries`
            that is neither a RetryPolicy nor an int >= 0, a `max_concurrency` below 1, or
            an `on_event` that is not callable.
    """

    def __init__(
        self,
        base_url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        token: str | TokenSource | TokenProvider | None = None,
        auth: httpx.Auth | None = None,
        api: ApiChoice = "auto",
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        verify: bool | ssl.SSLContext = True,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        retries: RetryPolicy | int | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        on_event: EventHook | None = None,
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        try:
            settings = Settings(
                base_url,
                username=username,
                password=password,
                token=token,
                auth=auth,
                api=api,
                network=transport is None and http_client is None,
            )
            options = http_options(
                timeout=timeout,
                verify=verify,
                headers=headers,
                transport=transport,
                http_client=http_client,
                max_body=max_body,
            )
            policy = retry_policy(retries)
            slots = concurrency(max_concurrency)
            event_hook(on_event)
        except InvalidArgument as error:
            # A traceback's locals (pytest --showlocals, rich) would show the credentials:
            # drop them, and the frames of the checks that held them, before raising.
            del base_url, username, password, token, auth
            raise error.with_traceback(None) from None
        self._base_url = settings.base_url
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(**options)
        self._driver = AsyncDriver(
            settings, self._http, retries=policy, max_concurrency=slots, on_event=on_event
        )
        self.dag_runs = AsyncDagRuns(self._driver)
        self.dags = AsyncDags(self._driver)
        self.task_instances = AsyncTaskInstances(self._driver)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **options: Any) -> Self:
        """A client configured by the `AIRFLOW_BRIDGE_*` variables the command line reads.

        Args:
            env: Where to read; None (default): `os.environ`.
            **options: Other constructor arguments; they win over the environment.

        Returns:
            The client (AIRFLOW_BRIDGE_SERVER, _USERNAME, _PASSWORD, _TOKEN, _API, _TIMEOUT,
            _CA_BUNDLE, _INSECURE, _CERT, _KEY; see `airflow_bridge._env`).

        Raises:
            InvalidArgument: AIRFLOW_BRIDGE_SERVER is unset or a value is malformed.
        """
        return cls(**{**client_arguments(env), **options})

    def __repr__(self) -> str:
        # also on a half-built client (a refused argument): tracebacks with locals call it
        driver = getattr(self, "_driver", None)
        if driver is None:
            return f"{type(self).__name__}(<not constructed>)"
        detected = driver.detected
        api = detected.api if detected else "not detected yet"
        return f"{type(self).__name__}({self._base_url!r}, api={api!r})"

    @property
    def base_url(self) -> str:
        """The server's root URL as used: no credentials, no `/api/vN` suffix."""
        return self._base_url

    @property
    def server(self) -> Awaitable[ServerInfo]:
        """What the server is: version, API generation, capabilities (see `server_info()`,
        which this returns)."""
        return self.server_info()

    async def server_info(self) -> ServerInfo:
        """What the server is: its version, API generation and capabilities.

        Detected on first use (one unauthenticated request, repeated with `auth=`/`token=`
        if refused), then cached; with `api=` given
        no request is made and the version is None.

        Returns:
            The server's `ServerInfo`.

        Raises:
            VersionDetectionError: Neither generation's version endpoint answered as
                Airflow's does (wrong URL or proxy prefix?).
            Redirected: The probe was redirected (e.g. http to https).
            TransportError: No answer.
        """
        return (await self._driver.adapter()).server

    async def aclose(self) -> None:
        """Close the connection pool, unless it is an `http_client=` given by the caller."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
