"""What `Client` and `AsyncClient` share: their settings, credentials and reply handling.

The clients themselves are one source: `_async/client.py` is written by hand and
`_sync/client.py` generated from it (`scripts/unasync.py`). This module holds everything that
is neither sync nor async: checking the constructor's arguments, choosing the auth for the
detected generation, explaining a refused login, turning an httpx response into a `Reply`,
and the few primitives whose sync and async forms differ by more than a keyword (a lock, a
concurrency limiter, a sleep).
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import anyio
import httpx

from airflow_bridge._auth import BearerToken, LoginAuthBase
from airflow_bridge._body_limit import DEFAULT_MAX_BODY, BodyLimit
from airflow_bridge._secrets import check_token, hidden, warn_if_plain_http
from airflow_bridge.adapters import BY_API, GENERATIONS, Adapter, Reply, redirected
from airflow_bridge.auth._header_values import header_value_problem
from airflow_bridge.auth.provider import TokenProvider, TokenSource
from airflow_bridge.errors import (
    AuthenticationError,
    InvalidArgument,
    TimeoutPhase,
    TransportError,
    TransportTimeout,
)
from airflow_bridge.models import ServerInfo
from airflow_bridge.types import ApiChoice

#: Seconds to wait for a connection, a read or a write (httpx's timeout), unless `timeout=`.
DEFAULT_TIMEOUT = 30.0
_API_SUFFIXES = tuple(generation.prefix for generation in GENERATIONS)


class Settings:
    """A client's checked constructor arguments: where the server is and how to log in.

    Every argument error is raised here, before an httpx client exists or anything is sent.
    Credentials for plain http to a host that is not loopback warn (InsecureCredentialsWarning)
    unless `network=False` (a transport= that is not the network, e.g. FakeAirflow's).
    Passwords and tokens are kept as `Secret`s (hidden in reprs and tracebacks' locals).
    """

    def __init__(
        self,
        base_url: str,
        *,
        username: str | None,
        password: str | None,
        token: str | TokenSource | TokenProvider | None,
        auth: httpx.Auth | None,
        api: ApiChoice,
        network: bool = True,
    ) -> None:
        self.base_url, url_user, url_password = _split_base_url(base_url)
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
        for name, value in (("username", username), ("password", password)):
            if value is not None and not isinstance(value, str):
                raise InvalidArgument(f"{name} must be a str, not {type(value).__name__}")
            if value is not None and not _utf8(value):
                raise InvalidArgument(
                    f"{name} contains a lone surrogate, which UTF-8 cannot encode (Basic auth "
                    "and the token login send UTF-8): check how it was read or decoded"
                )
        if isinstance(token, str):
            check_token(token, "the token")
        if api != "auto" and api not in BY_API:
            raise InvalidArgument(f"api must be 'auto', 'v1' or 'v2', not {api!r}")
        self._username = username
        self._password = hidden(password)  # shown as Secret('********'), never the value
        self._token = hidden(token) if isinstance(token, str) else None
        if network and (username is not None or isinstance(token, str)):
            warn_if_plain_http(self.base_url, username)
        self._token_given = token is not None
        # one provider for the client's life: its cached token survives re-detection
        self._user_auth = auth if token is None or isinstance(token, str) else _provider(token)
        #: The adapter when `api=` names the generation (no probe); None: detect on first use.
        self.given_adapter: Adapter | None = None
        if api != "auto":
            self.given_adapter = BY_API[api](ServerInfo(base_url=self.base_url, api=api))

    def given_auth(self) -> httpx.Auth | None:
        """The credentials that do not depend on the generation (`auth=`, `token=`): also what
        the version probe sends when a server refuses it unauthenticated (a managed service
        guarding /version too). Username/password are Basic on one generation and a token
        login on the other, so the probe does not guess with them."""
        if self._user_auth is not None:
            return self._user_auth
        return None if self._token is None else BearerToken(self._token.reveal())

    def auth_for(self, adapter: Adapter, login_auth: type[LoginAuthBase]) -> httpx.Auth | None:
        """The auth the detected generation wants for the credentials given: the user's own
        `auth=`, the token, or username/password as HTTP Basic or as a token login (the
        adapter says which), made with `login_auth` (the sync or async flow)."""
        given = self.given_auth()
        if given is not None:
            return given
        if self._username is None or self._password is None:
            return None
        password = self._password.reveal()
        login = adapter.login_request(self._username, password)
        if login is None:
            return httpx.BasicAuth(self._username, password)
        return login_auth(
            self.base_url,
            login,
            parse_token=lambda r: adapter.parse_token(to_reply(r)),
            token_rejected=lambda r: adapter.token_rejected(to_reply(r)),
        )

    def explained(self, error: AuthenticationError, adapter: Adapter | None) -> AuthenticationError:
        """The same refusal, plus what to change about the credentials this client was given.

        Both generations refuse bad credentials as AuthenticationError (a refused login at
        Airflow 3's /auth/token included); only the advice depends on what was passed.
        """
        login = adapter.login_request("", "") if adapter else None
        if self._username is not None and self._password is not None:
            given = (("username", self._username), ("password", self._password.reveal()))
            untrimmed = [name for name, value in given if value != value.strip()]
            if not self._username or not self._password:
                hint = "the username or password is empty: pass both, non-empty"
            elif untrimmed:
                verb, it = (
                    ("starts or ends", "it") if len(untrimmed) == 1 else ("start or end", "them")
                )
                hint = (
                    f"the {' and '.join(untrimmed)} given {verb} with whitespace (a newline read "
                    f"from a file?): strip {it}"
                )
            else:
                hint = "check username= and password= (the server refused them)"
        elif self._token_given:
            hint = "the token was refused (expired, or signed by another server?): pass a fresh "
            hint += "token=, or username= and password= so the client logs in by itself"
        elif self._user_auth is not None and login is not None:
            hint = (
                f"the auth= given was refused; this server issues tokens at {login.path}: pass "
                "username= and password= instead and the client logs in (and renews the token)"
            )
        elif self._user_auth is not None:
            hint = "check the credentials given as auth="
        else:
            hint = "this server needs credentials: pass username= and password= (or token=)"
        return AuthenticationError(
            f"{error.message}; {hint}",
            status=error.status,
            method=error.method,
            url=error.url,
            body=error.body,
            headers=error.headers,
        )


def _utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _provider(token: object) -> TokenProvider:
    """`token=` given as a `TokenProvider`, or as a callable it wraps (asked again before the
    token's expiry and after a 401)."""
    if isinstance(token, TokenProvider):
        return token
    if callable(token):
        return TokenProvider(token)
    raise InvalidArgument(
        "token must be a str, a callable returning one, or a TokenProvider, "
        f"not {type(token).__name__}"
    )


def http_options(
    *,
    timeout: float | httpx.Timeout,
    verify: bool | ssl.SSLContext,
    headers: Mapping[str, str] | None,
    transport: object | None,
    http_client: object | None,
    max_body: int = DEFAULT_MAX_BODY,
) -> dict[str, Any]:
    """The keyword arguments for the client's own httpx client, checked before it is made.

    With `http_client=` the user's client is used as it is, so any of the other four set too
    would be silently ignored: that is InvalidArgument instead. `verify` is a bool or an
    `ssl.SSLContext`; a path string (deprecated by httpx 0.28) is refused with how to make
    the context. A `headers` value no HTTP header can carry (a trailing newline, a control
    or non-ASCII character) is refused here rather than by h11 on every attempt.
    """
    if isinstance(timeout, bool) or not (
        isinstance(timeout, httpx.Timeout)
        or (isinstance(timeout, int | float) and timeout > 0 and timeout == timeout)
    ):
        raise InvalidArgument(
            f"timeout must be a positive number of seconds or an httpx.Timeout, not {timeout!r}"
        )
    if isinstance(verify, str):
        raise InvalidArgument(
            "verify takes True, False or an ssl.SSLContext, not a path; for a CA bundle "
            f"pass verify=ssl.create_default_context(cafile={verify!r})"
        )
    if not isinstance(verify, bool | ssl.SSLContext):
        raise InvalidArgument(f"verify must be a bool or an ssl.SSLContext, not {verify!r}")
    for name, value in (headers or {}).items():
        problem = header_value_problem(value) if isinstance(value, str) else None
        if problem is not None:
            raise InvalidArgument(f"the value of header {name!r} {problem}")
    if http_client is not None:
        ignored = [
            name
            for name, value, default in (
                ("timeout", timeout, DEFAULT_TIMEOUT),
                ("verify", verify, True),
                ("headers", headers, None),
                ("transport", transport, None),
                ("max_body", max_body, DEFAULT_MAX_BODY),
            )
            if value != default
        ]
        if ignored:
            raise InvalidArgument(
                f"http_client= is used as given, so {', '.join(ignored)} would be ignored: "
                "configure them on the httpx client you pass, or drop http_client="
            )
    return {
        "timeout": timeout,
        "verify": verify,
        "headers": headers,
        "transport": transport,
        # Bounds every answer while it streams in (see _body_limit; not on http_client=). A
        # Content-Length is trusted only over httpx's own network transport (h11/h2 hold it).
        "event_hooks": {"response": [BodyLimit(max_body, trust_length=transport is None)]},
    }


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


def checked(response: httpx.Response) -> Reply:
    """The reply, unless it is a redirect: that is raised at once, detection included, as
    `Redirected` saying where it points (a probe would otherwise only see "answered 301")."""
    reply = to_reply(response)
    if 300 <= response.status_code < 400:  # the rest cannot be a redirect: no header lookup
        moved = redirected(reply)
        if moved is not None:
            raise moved
    return reply


def to_reply(response: httpx.Response) -> Reply:
    """An httpx response as the adapters' `Reply` (its body must have been read)."""
    return Reply(
        status=response.status_code,
        headers=response.headers,
        content=response.content,
        method=response.request.method,
        url=str(response.request.url),
    )


def never_sent(exc: httpx.TransportError | ssl.SSLError) -> bool:
    """Whether a transport failure happened before the request could reach the server (a
    refused connection, a connect or pool timeout): then any request may be sent again."""
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


def transport_error(
    request: httpx.Request, exc: httpx.TransportError | ssl.SSLError
) -> TransportError:
    """The typed error for a request that got no answer; a timeout names its phase.

    A raw `ssl.SSLError` counts too: over anyio's TLS stream, TLS 1.3's certificate-required
    alert arrives on the first read and leaves httpcore unwrapped (seen with httpx 0.28)."""
    detail = _redacted(exc, request) or type(exc).__name__
    method, url = request.method, str(request.url)
    for timeout, phase in _TIMEOUT_PHASES:
        if isinstance(exc, timeout):
            return TransportTimeout(detail, method=method, url=url, phase=phase)
    if isinstance(exc, httpx.TimeoutException):
        return TransportTimeout(detail, method=method, url=url)
    return TransportError(detail, method=method, url=url)


def _redacted(exc: BaseException, request: httpx.Request) -> str:
    """`str(exc)` without the request's header values, which h11 quotes when it refuses one
    ("Illegal header value b'Bearer ...'"): replaced by `[redacted]` in the message and in
    the exceptions it chains (httpx's, httpcore's, h11's), so neither the `TransportError`
    nor a traceback of its cause shows an Authorization header or a header the user gave."""
    shown = [repr(value) for _, value in request.headers.raw]
    shown += [value for name, value in request.headers.items() if name in _SECRET_HEADERS]
    shown = sorted({text for text in shown if text}, key=len, reverse=True)
    chained: BaseException | None = exc
    seen: set[int] = set()
    while chained is not None and id(chained) not in seen:
        seen.add(id(chained))
        args = list(chained.args)
        for index, arg in enumerate(args):
            if isinstance(arg, str):
                for text in shown:
                    arg = arg.replace(text, "[redacted]")
                args[index] = arg
        chained.args = tuple(args)
        chained = chained.__cause__ or chained.__context__
    return str(exc)


#: Request headers whose values are credentials (their plain text is redacted too).
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


_TIMEOUT_PHASES: tuple[tuple[type[httpx.TimeoutException], TimeoutPhase], ...] = (
    (httpx.ConnectTimeout, "connect"),
    (httpx.ReadTimeout, "read"),
    (httpx.WriteTimeout, "write"),
    (httpx.PoolTimeout, "pool"),
)


# -- the primitives whose sync and async forms differ (unasync maps AsyncLock -> Lock,
# -- AsyncLimiter -> Limiter and async_sleep -> sleep) ------------------------------------


class Lock:
    """A thread lock, entered with `with`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self._lock.release()


class AsyncLock:
    """A task lock (asyncio or trio), entered with `async with`; made on first use, inside
    the event loop, so the client can be built outside one. A free lock is taken without
    first yielding to the event loop (`fast_acquire`): the login flow takes it per request."""

    def __init__(self) -> None:
        self._lock: anyio.Lock | None = None

    async def __aenter__(self) -> None:
        if self._lock is None:
            self._lock = anyio.Lock(fast_acquire=True)
        await self._lock.acquire()

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._lock is not None
        self._lock.release()


class Limiter:
    """At most `limit` requests in flight at once, across threads; entered with `with`."""

    def __init__(self, limit: int) -> None:
        self._slots = threading.BoundedSemaphore(limit)

    def __enter__(self) -> None:
        self._slots.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self._slots.release()


class AsyncLimiter:
    """At most `limit` requests in flight at once, across tasks; entered with `async with`
    (made on first use, inside the event loop, like `AsyncLock`). A free slot is taken
    without first yielding to the event loop (`fast_acquire`): a sixth of the cost of
    `anyio.CapacityLimiter`, which yields on every entry."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._slots: anyio.Semaphore | None = None

    async def __aenter__(self) -> None:
        if self._slots is None:
            self._slots = anyio.Semaphore(self._limit, fast_acquire=True)
        await self._slots.acquire()

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._slots is not None
        self._slots.release()


def concurrency(value: object) -> int:
    """`max_concurrency=`: a whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgument(f"max_concurrency must be a whole number >= 1, not {value!r}")
    return value


def event_hook(value: object) -> None:
    """`on_event=`: None or a callable."""
    if value is not None and not callable(value):
        raise InvalidArgument(f"on_event must be a callable taking an Event, not {value!r}")


def sleep(seconds: float) -> None:
    time.sleep(seconds)


async def async_sleep(seconds: float) -> None:
    await anyio.sleep(seconds)
