"""`Client` and `AsyncClient`: the only places that do I/O.

Both drive the same plans (see `_plans`) over httpx, one synchronously, one with await. The
server's API generation is detected lazily on first use (one probe, cached) unless `api=` names
it; credentials become HTTP Basic or a token login, as the detected generation wants.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote, urlsplit, urlunsplit

import anyio
import httpx

from airflow_bridge import _plans as plans
from airflow_bridge._auth import BearerToken, LoginAuth
from airflow_bridge._dag_runs import AsyncDagRuns, DagRuns
from airflow_bridge.adapters import BY_API, GENERATIONS, Adapter, ApiRequest, Reply, redirected
from airflow_bridge.errors import AuthenticationError, InvalidArgument, TransportError
from airflow_bridge.models import ServerInfo

if TYPE_CHECKING:
    from typing_extensions import Self

T = TypeVar("T")
DEFAULT_TIMEOUT = 30.0
_API_SUFFIXES = tuple(generation.prefix for generation in GENERATIONS)


class _ClientBase:
    """Configuration and translation shared by the sync and async clients (no I/O)."""

    def __init__(
        self,
        base_url: str,
        *,
        username: str | None,
        password: str | None,
        token: str | None,
        auth: httpx.Auth | None,
        api: str,
    ) -> None:
        self._base_url, url_user, url_password = _split_base_url(base_url)
        if url_user is not None:
            if username is not None:
                raise InvalidArgument("credentials are given both in the URL and as username=")
            username, password = url_user, url_password
        given = [name for name, value in (("token", token), ("auth", auth)) if value is not None]
        if username is not None:
            given.append("username/password")
        if len(given) > 1:
            raise InvalidArgument(f"give one kind of credentials, not {' and '.join(given)}")
        if (username is None) != (password is None):
            raise InvalidArgument("username and password go together")
        if api not in ("auto", *BY_API):
            raise InvalidArgument(f"api must be 'auto', 'v1' or 'v2', not {api!r}")
        self._username = username
        self._password = password
        self._token = token
        self._user_auth = auth
        self._auth: httpx.Auth | None = None
        self._adapter_: Adapter | None = None
        if api != "auto":
            self._use(BY_API[api](ServerInfo(base_url=self._base_url, api=api)))

    def __repr__(self) -> str:
        api = self._adapter_.api if self._adapter_ else "not detected yet"
        return f"{type(self).__name__}({self._base_url!r}, api={api!r})"

    @property
    def base_url(self) -> str:
        return self._base_url

    def _use(self, adapter: Adapter) -> None:
        """Adopt the detected generation and pick the auth it wants for our credentials."""
        if self._user_auth is not None:
            self._auth = self._user_auth
        elif self._token is not None:
            self._auth = BearerToken(self._token)
        elif self._username is not None and self._password is not None:
            login = adapter.login_request(self._username, self._password)
            if login is None:
                self._auth = httpx.BasicAuth(self._username, self._password)
            else:
                self._auth = LoginAuth(
                    self._base_url,
                    login,
                    parse_token=lambda r: adapter.parse_token(_reply(r)),
                    token_rejected=lambda r: adapter.token_rejected(_reply(r)),
                )
        self._adapter_ = adapter

    def _request(self, http: httpx.Client | httpx.AsyncClient, step: ApiRequest) -> httpx.Request:
        return http.build_request(
            step.method, self._base_url + step.path, params=step.params or None, json=step.json
        )

    def _send_kwargs(self) -> dict[str, Any]:
        return {} if self._auth is None else {"auth": self._auth}

    def _explained(self, error: AuthenticationError) -> AuthenticationError:
        """The same refusal, plus what to change about the credentials this client was given.

        Both generations refuse bad credentials as AuthenticationError (a refused login at
        Airflow 3's /auth/token included); only the advice depends on what was passed.
        """
        login = self._adapter_.login_request("", "") if self._adapter_ else None
        if self._username is not None:
            if not self._username or not self._password:
                hint = "the username or password is empty: pass both, non-empty"
            else:
                hint = "check username= and password= (the server refused them)"
        elif self._user_auth is not None and login is not None:
            hint = (
                f"the auth= given was refused; this server issues tokens at {login.path}: pass "
                "username= and password= instead and the client logs in (and renews the token)"
            )
        elif self._user_auth is not None:
            hint = "check the credentials given as auth="
        elif self._token is not None:
            hint = "the token was refused (expired, or signed by another server?): pass a fresh "
            hint += "token=, or username= and password= so the client logs in by itself"
        else:
            hint = "this server needs credentials: pass username= and password= (or token=)"
        return AuthenticationError(
            f"{error.message}; {hint}",
            status=error.status,
            method=error.method,
            url=error.url,
            body=error.body,
        )


class Client(_ClientBase):
    """A synchronous client for one Airflow server, Airflow 2 or 3.

    Give `username=`/`password=` (HTTP Basic on Airflow 2, a token login on Airflow 3),
    `token=`, or any `auth=`. Credentials a server refuses are `AuthenticationError` on both
    generations (Airflow 3.3.2's login answers an empty one with 400), with what to change:
    e.g. HTTP Basic given as `auth=` to Airflow 3 says to pass username=/password= instead.
    Redirects are not followed: a 3xx (a proxy's http -> https) is `Redirected`, naming the
    target and the base_url to use.

    >>> with Client("http://127.0.0.1:8080", username="admin", password="admin") as client:
    ...     run = client.dag_runs.trigger("etl", conf={"x": 1})
    """

    def __init__(
        self,
        base_url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        auth: httpx.Auth | None = None,
        api: str = "auto",
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        verify: bool | str = True,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        super().__init__(
            base_url, username=username, password=password, token=token, auth=auth, api=api
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(
            timeout=timeout, verify=verify, headers=headers, transport=transport
        )
        self._detect_lock = threading.Lock()
        self.dag_runs = DagRuns(self)

    @property
    def server(self) -> ServerInfo:
        """What the server is (version, API generation); detected on first use, cached."""
        return self._adapter().server

    def server_info(self) -> ServerInfo:
        return self.server

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _adapter(self) -> Adapter:
        if self._adapter_ is None:
            with self._detect_lock:
                if self._adapter_ is None:
                    self._use(self._run(plans.detect(self._base_url)))
        assert self._adapter_ is not None
        return self._adapter_

    def _send(self, step: ApiRequest) -> Reply:
        request = self._request(self._http, step)
        for attempt in (1, 2):
            try:
                return _checked(self._http.send(request, **self._send_kwargs()))
            except httpx.TransportError as exc:
                if not _resend(request, exc, attempt):
                    raise _transport_error(request, exc) from exc
        raise AssertionError("the second attempt returns or raises")

    def _run(self, plan: plans.Plan[T]) -> T:
        """Drive a plan: send its requests, sleep its sleeps, return its result."""
        try:
            return self._drive(plan)
        except AuthenticationError as exc:
            raise self._explained(exc) from exc

    def _drive(self, plan: plans.Plan[T]) -> T:
        answer: Reply | None = None
        while True:
            try:
                step = plan.send(answer)
            except StopIteration as done:
                result: T = done.value
                return result
            if isinstance(step, plans.Sleep):
                time.sleep(step.seconds)
                answer = None
            else:
                answer = self._send(step)


class AsyncClient(_ClientBase):
    """The asyncio/trio twin of `Client`: the same methods, awaited.

    >>> async with AsyncClient("http://127.0.0.1:8080", username="admin", password="admin") as c:
    ...     run = await c.dag_runs.get("etl", run_id)
    """

    def __init__(
        self,
        base_url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        auth: httpx.Auth | None = None,
        api: str = "auto",
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        verify: bool | str = True,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(
            base_url, username=username, password=password, token=token, auth=auth, api=api
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(
            timeout=timeout, verify=verify, headers=headers, transport=transport
        )
        self._detect_lock: anyio.Lock | None = None
        self.dag_runs = AsyncDagRuns(self)

    async def server_info(self) -> ServerInfo:
        """What the server is (version, API generation); detected on first use, cached."""
        return (await self._adapter()).server

    async def aclose(self) -> None:
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

    async def _adapter(self) -> Adapter:
        if self._adapter_ is None:
            if self._detect_lock is None:
                self._detect_lock = anyio.Lock()
            async with self._detect_lock:
                if self._adapter_ is None:
                    self._use(await self._run(plans.detect(self._base_url)))
        assert self._adapter_ is not None
        return self._adapter_

    async def _send(self, step: ApiRequest) -> Reply:
        request = self._request(self._http, step)
        for attempt in (1, 2):
            try:
                return _checked(await self._http.send(request, **self._send_kwargs()))
            except httpx.TransportError as exc:
                if not _resend(request, exc, attempt):
                    raise _transport_error(request, exc) from exc
        raise AssertionError("the second attempt returns or raises")

    async def _run(self, plan: plans.Plan[T]) -> T:
        try:
            return await self._drive(plan)
        except AuthenticationError as exc:
            raise self._explained(exc) from exc

    async def _drive(self, plan: plans.Plan[T]) -> T:
        answer: Reply | None = None
        while True:
            try:
                step = plan.send(answer)
            except StopIteration as done:
                result: T = done.value
                return result
            if isinstance(step, plans.Sleep):
                await anyio.sleep(step.seconds)
                answer = None
            else:
                answer = await self._send(step)


def _split_base_url(url: str) -> tuple[str, str | None, str | None]:
    """The server root (scheme, host, proxy prefix; no API suffix, no credentials) and any
    credentials embedded in the URL, so they are never printed with it."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidArgument(
            f"base_url must be an http(s) URL such as http://host:8080, not {url!r}"
        )
    path = parts.path.rstrip("/")
    for suffix in _API_SUFFIXES:
        if path.endswith(suffix):
            path = path[: -len(suffix)]
    netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if parts.port is not None:
        netloc += f":{parts.port}"
    root = urlunsplit((parts.scheme, netloc, path, "", ""))
    user = None if parts.username is None else unquote(parts.username)
    password = None if parts.password is None else unquote(parts.password)
    return root, user, password


def _checked(response: httpx.Response) -> Reply:
    """The reply, unless it is a redirect: that is raised at once, detection included, as
    `Redirected` saying where it points (a probe would otherwise only see "answered 301")."""
    reply = _reply(response)
    moved = redirected(reply)
    if moved is not None:
        raise moved
    return reply


def _reply(response: httpx.Response) -> Reply:
    return Reply(
        status=response.status_code,
        headers=response.headers,
        content=response.content,
        method=response.request.method,
        url=str(response.request.url),
    )


def _resend(request: httpx.Request, exc: httpx.TransportError, attempt: int) -> bool:
    """Send a GET once more when a kept-alive connection was dropped under it.

    Airflow's servers close the connection after some failures (an unhandled 500 on 3.1), and
    the next request on that pooled connection fails before any answer. Reading is safe to
    repeat; anything that writes is not, so it surfaces as a TransportError instead.
    """
    dropped = isinstance(exc, httpx.ReadError | httpx.RemoteProtocolError)
    return attempt == 1 and dropped and request.method == "GET"


def _transport_error(request: httpx.Request, exc: httpx.TransportError) -> TransportError:
    detail = str(exc) or type(exc).__name__
    return TransportError(f"{request.method} {request.url}: no answer ({detail})")
