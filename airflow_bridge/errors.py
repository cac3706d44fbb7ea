"""One flat error hierarchy for both Airflow generations.

```text
AirflowBridgeError
├── ApiError                      the server answered a non-2xx status
│   ├── BadRequest                400, 422
│   │   └── InvalidRunId
│   ├── AuthenticationError       401 (and Airflow 3's 403 for an unverifiable token)
│   ├── PermissionDenied          403
│   ├── NotFound                  404
│   ├── Conflict                  409
│   ├── RateLimited               429
│   ├── ServerError               5xx
│   ├── Redirected                3xx
│   └── PartialUpdate             a later call of a multi-call update failed
├── TransportError                no answer at all
│   └── TransportTimeout          ... because a timeout ran out (also a TimeoutError)
├── InvalidResponse               a 2xx answer that is not what the API promises
├── UnsupportedOperation          this server's version cannot do it (nothing sent)
├── VersionDetectionError         the URL does not answer like an Airflow API
├── WaitTimeout                   wait() gave up (also a TimeoutError)
└── FleetConfigError              a fleet file or selection is wrong (also a ValueError)
InvalidArgument                   a ValueError and TypeError, deliberately outside
InsecureCredentialsWarning        a UserWarning: credentials over plain http to another host
```

Every failure a server or the network can cause is an `AirflowBridgeError`. Server answers
are `ApiError` subclasses chosen by status, whatever the body's shape (RFC 7807 on Airflow 2,
FastAPI's `detail` on Airflow 3, or an HTML page). Messages say what happened and what to do,
and never carry secrets: errors hold no request headers, URLs lose any user:password part, and
cookie or credential headers of a response are kept only as `[redacted]`.

An argument the library can tell is wrong without asking a server is an `InvalidArgument`,
raised before anything is sent (before the version probe too). It is a `ValueError` and a
`TypeError`, not an `AirflowBridgeError`: it is the caller's bug, the same on every server, so
`except AirflowBridgeError` (server or network trouble) never swallows it and a fleet raises
it at once instead of reporting it once per server.

Every error is a value: it pickles (so it crosses process pools and multiprocessing queues,
whatever its constructor's keyword-only arguments) and compares equal to an error of the same
class with the same message and attributes, so an unpickled error equals the original.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from airflow_bridge.models import DagRun, TaskInstance

#: Response headers whose values are credentials; kept by name only, with this value.
REDACTED = "[redacted]"
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
#: The statuses whose `Retry-After` header is read into `ApiError.retry_after`.
RETRY_AFTER_STATUSES = frozenset({429, 503})
#: Which timeout ran out, in httpx's terms ("pool": waiting for a free connection).
TimeoutPhase = Literal["connect", "read", "write", "pool"]


def _rebuild(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    """Unpickle an error without calling its `__init__` (whose arguments pickle cannot give)."""
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class _ErrorValue:
    """Pickling and equality by class, args and attributes, for every error class here.

    `BaseException` pickles as `cls(*args)`, which fails for constructors with required
    keyword-only arguments (encode/httpx#1990); rebuilding from args and attributes does not
    depend on the constructor, so no subclass needs its own support.
    """

    args: tuple[Any, ...]

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, dict(vars(self))))

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.args == other.args and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash((type(self), repr(self.args)))


class AirflowBridgeError(_ErrorValue, Exception):
    """Base of every error this library raises for server, network or configuration trouble.

    Catch it to handle anything a server or the network can do to a call; argument mistakes
    are `InvalidArgument` instead.
    """


class InvalidArgument(_ErrorValue, ValueError, TypeError):
    """An argument no Airflow server would take as meant; raised before any request is sent.

    Fix the call as the message says. It is a `ValueError` and a `TypeError` but not an
    `AirflowBridgeError`, so handlers of server trouble never hide it.
    """


class ResponseHeaders(Mapping[str, str]):
    """A response's headers: immutable, looked up case-insensitively, credentials redacted.

    Names are kept lower-case. The values of `Set-Cookie`, `Cookie`, `Authorization` and
    `Proxy-Authorization` are replaced by `"[redacted]"` when the mapping is built, so no
    error, repr, log line or pickle can show them. The API answers of 2.10.5 and 3.3.2 set no
    cookie, but a web page or login redirect does (2.10.5's `/home` answers 302 with a session
    cookie), and so may a proxy. A name sent more than once has its values joined by `", "`.

    Args:
        headers: The headers as a mapping or as (name, value) pairs; none by default.
    """

    __slots__ = ("_values",)

    def __init__(self, headers: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        values: dict[str, str] = {}
        for name, value in pairs:
            key = name.lower()
            shown = REDACTED if key in _SECRET_HEADERS else value
            values[key] = f"{values[key]}, {shown}" if key in values else shown
        self._values = values

    def __getitem__(self, name: str) -> str:
        return self._values[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ResponseHeaders):
            return self._values == other._values
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self._values.items()))

    def __repr__(self) -> str:
        return f"ResponseHeaders({self._values!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_headers, (dict(self._values),))


def _headers(values: dict[str, str]) -> ResponseHeaders:
    """Unpickle headers as they were stored (already lower-case and redacted)."""
    headers = ResponseHeaders()
    headers._values = values
    return headers


def parse_retry_after(value: str, *, date: str | None = None) -> float | None:
    """Seconds to wait, from a `Retry-After` header value (RFC 9110, section 10.2.3).

    Args:
        value: The header's value: delta-seconds (`"120"`) or an HTTP date
            (`"Wed, 21 Oct 2026 07:28:00 GMT"`).
        date: The same response's `Date` header, if any: an HTTP date is measured from it, so
            a skewed clock on either side does not matter; without it, from this machine's
            clock.

    Returns:
        The seconds as a float, 0.0 for a date in the past, None for a value that is neither
        form (a negative number, text, an unreadable date).
    """
    text = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    until = _http_date(text)
    if until is None:
        return None
    since = _http_date(date) if date is not None else None
    now = since if since is not None else datetime.now(timezone.utc)
    return max((until - now).total_seconds(), 0.0)


def _http_date(text: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    # "-0000" (no zone given) parses as naive; HTTP dates are always GMT.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def _public_url(url: str) -> str:
    """The URL without a user:password part (httpx keeps one given in base_url)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


class ApiError(AirflowBridgeError):
    """The server answered with a non-2xx status; the subclasses below say which.

    Raised for any status without a more specific class (e.g. 405, 413). The message names the
    status, method and URL and quotes the server's own words.

    Args:
        message: What the server said (its `detail`, `title` or page title).
        status: The HTTP status code.
        method: The request's HTTP method.
        url: The request's URL (any user:password part is dropped).
        body: The decoded error body: JSON data, or text for a non-JSON page.
        headers: The response's headers.

    Attributes:
        message: What the server said, without the status/method/URL prefix.
        status: The HTTP status code.
        method: The request's HTTP method.
        url: The request's URL, without credentials.
        body: The decoded error body (JSON data or text), or None.
        headers: The response's headers (`ResponseHeaders`: immutable, credentials redacted).
        retry_after: Seconds the server asked to wait before retrying (`Retry-After`, read on
            429 and 503 answers only; None when absent, unreadable or another status).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        method: str,
        url: str,
        body: Any = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    ) -> None:
        self.message = message
        self.status = status
        self.method = method
        self.url = _public_url(url)
        self.body = body
        self.headers = ResponseHeaders(headers)
        self.retry_after: float | None = None
        if status in RETRY_AFTER_STATUSES and "retry-after" in self.headers:
            self.retry_after = parse_retry_after(
                self.headers["retry-after"], date=self.headers.get("date")
            )
        wait = "" if self.retry_after is None else f" (retry after {self.retry_after:g} s)"
        super().__init__(f"{status} on {method} {self.url}: {message}{wait}")


class BadRequest(ApiError):
    """400 or 422: the server refused the request's content.

    Fix the arguments as the message says; resending the same request fails the same way.
    """


class InvalidRunId(BadRequest):
    """The server refused a trigger's run_id: it does not match the server's run id pattern.

    Airflow 3 answers 400 naming the pattern; Airflow 2 (2.6.3+) fails with a 500 page, which
    is reported as this error when the run_id fails Airflow's default pattern (seen on 2.10.5
    and 3.3.2). Choose a run_id that matches `pattern`, or leave run_id out. A server may be
    configured with a wider pattern (`[scheduler] allowed_run_id_pattern`) and accept more.

    Args:
        message: What is wrong with the run_id.
        run_id: The refused run_id.
        pattern: Airflow's default run id pattern (a regular expression).
        status: The HTTP status code (400 on Airflow 3, 500 on Airflow 2).
        method: The request's HTTP method.
        url: The request's URL.
        body: The decoded error body.
        headers: The response's headers.

    Attributes:
        run_id: The refused run_id.
        pattern: Airflow's default run id pattern (a regular expression).
    """

    def __init__(
        self,
        message: str,
        *,
        run_id: str,
        pattern: str,
        status: int,
        method: str,
        url: str,
        body: Any = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    ) -> None:
        super().__init__(message, status=status, method=method, url=url, body=body, headers=headers)
        self.run_id = run_id
        self.pattern = pattern


class AuthenticationError(ApiError):
    """401: missing or wrong credentials, or a login at /auth/token failed.

    Also Airflow 3's 403 "Invalid JWT token" (a token signed with another secret) and a login
    refused for its content (400/422). The message says which credentials to change.
    """


class PermissionDenied(ApiError):
    """403: the user is known but its role may not do this; ask for a role that may."""


class NotFound(ApiError):
    """404: no such DAG or run (or no such endpoint on this server); check the ids."""


class Conflict(ApiError):
    """409: the request clashes with the server's state, e.g. a run with this run_id exists.

    Pick another run_id, or fetch the existing run if it is the one meant.
    """


class RateLimited(ApiError):
    """429: the server (or a gateway in front of it) asks the client to slow down.

    Airflow's api-server has no rate limit of its own; a proxy or gateway sends this. Wait
    `retry_after` seconds (None when it named no time) before sending again.
    """


class ServerError(ApiError):
    """5xx: the server failed. Retrying later may help; on 503, after `retry_after` seconds."""


class Redirected(ApiError):
    """3xx: something in front of the server (a proxy, a login page) redirects the API.

    The library does not follow redirects: a redirected POST may be replayed as a GET, and
    credentials must not follow a redirect to another host. Point base_url where the message
    says (when the target is the same API elsewhere, e.g. http -> https).

    Args:
        message: Where it points and what to do.
        location: The absolute URL the redirect points to.
        status: The HTTP status code.
        method: The request's HTTP method.
        url: The request's URL.
        headers: The response's headers.

    Attributes:
        location: The absolute URL the redirect points to.
    """

    def __init__(
        self,
        message: str,
        *,
        location: str,
        status: int,
        method: str,
        url: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    ) -> None:
        super().__init__(message, status=status, method=method, url=url, headers=headers)
        self.location = _public_url(location)


class PartialUpdate(ApiError):
    """`update()` needed several calls (Airflow 2: state, then note) and a later one failed.

    What the earlier calls changed stays changed; call `update()` again with the fields in
    `not_applied` once the cause is fixed. Arguments that are wrong on their own (a note over
    1000 characters) are refused before the first call, so this only happens when the server
    refuses or fails something else. Status, method, URL, body and headers are the failed
    call's.

    Args:
        error: The failed call's own error.
        applied: Each field the earlier calls set, with its value.
        not_applied: The fields of the failed call.
        run: The run as the last successful call returned it.

    Attributes:
        error: The failed call's own error.
        applied: Each field the earlier calls set, with its value (e.g. `{"state": "failed"}`).
        not_applied: The fields of the failed call, e.g. `("note",)`.
        run: The run as the last successful call returned it.
    """

    def __init__(
        self,
        error: ApiError,
        *,
        applied: Mapping[str, Any],
        not_applied: tuple[str, ...],
        run: DagRun,
    ) -> None:
        done = ", ".join(f"{name}={value!r}" for name, value in applied.items())
        super().__init__(
            f"{done} was applied, but {' and '.join(not_applied)} was not: {error.message}",
            status=error.status,
            method=error.method,
            url=error.url,
            body=error.body,
            headers=error.headers,
        )
        self.error = error
        self.applied = dict(applied)
        self.not_applied = not_applied
        self.run = run


class TransportError(AirflowBridgeError):
    """The request got no answer: connection refused or dropped, DNS, TLS, a timeout.

    Check the URL and the network; whether resending is safe depends on the request (a GET
    is, a trigger may already have happened).

    Args:
        message: What failed, as the HTTP library said it.
        method: The request's HTTP method.
        url: The request's URL (any user:password part is dropped).

    Attributes:
        method: The request's HTTP method.
        url: The request's URL, without credentials.
    """

    def __init__(self, message: str, *, method: str, url: str) -> None:
        self.method = method
        self.url = _public_url(url)
        super().__init__(f"{method} {self.url}: no answer ({message})")


class TransportTimeout(TransportError, TimeoutError):
    """A timeout ran out before the answer came (the client's `timeout=`).

    Named after its base rather than HTTP's "408 Request Timeout", which is a server's
    answer (an `ApiError`). A connect or pool timeout means nothing reached the server; a
    read or write timeout may come after the server acted. Raise `timeout=` for slow servers.
    It is also a `TimeoutError`.

    Args:
        message: What failed, as the HTTP library said it.
        method: The request's HTTP method.
        url: The request's URL.
        phase: Which timeout ran out: `"connect"`, `"read"`, `"write"` or `"pool"` (waiting
            for a free connection), as httpx names them; None when unknown.

    Attributes:
        phase: Which timeout ran out (`"connect"`, `"read"`, `"write"`, `"pool"`), or None.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        url: str,
        phase: TimeoutPhase | None = None,
    ) -> None:
        super().__init__(message, method=method, url=url)
        self.phase = phase


class InvalidResponse(AirflowBridgeError):
    """A 2xx answer whose body this library cannot read as the API promises.

    Usually something in front of the server (a proxy's page) or a server newer than this
    library in an incompatible way; the message quotes the start of the body.

    Args:
        message: What was expected and what came.
        method: The request's HTTP method.
        url: The request's URL (any user:password part is dropped).
        body: The body as text, if kept.

    Attributes:
        method: The request's HTTP method.
        url: The request's URL, without credentials.
        body: The body as text, or None.
    """

    def __init__(self, message: str, *, method: str, url: str, body: Any = None) -> None:
        self.method = method
        self.url = _public_url(url)
        self.body = body
        super().__init__(f"{method} {self.url}: {message}")


class UnsupportedOperation(AirflowBridgeError):
    """The server's Airflow version cannot do this; raised before any request is sent.

    Upgrade the server to `added_in`, or do without (see the capability table).

    Args:
        operation: The capability asked for, e.g. `"set_state_queued"`.
        server_version: The server's Airflow version, if known.
        added_in: The first Airflow version that can, or None when this API never can.
        api: The server's API generation, `"v1"` or `"v2"`.

    Attributes:
        operation: The capability asked for.
        server_version: The server's Airflow version, or None.
        added_in: The first Airflow version that can, or None.
        api: The server's API generation.
    """

    def __init__(
        self, operation: str, *, server_version: str | None, added_in: str | None, api: str
    ) -> None:
        where = f"Airflow {server_version}" if server_version else f"this {api} server"
        if added_in:
            hint = f"it needs Airflow {added_in} or newer"
        else:
            hint = f"the {api} API does not offer it"
        super().__init__(f"{operation} is not supported by {where}: {hint}")
        self.operation = operation
        self.server_version = server_version
        self.added_in = added_in
        self.api = api


class VersionDetectionError(AirflowBridgeError):
    """Neither API generation answered like an Airflow server.

    The message says what each probe got; check the URL (and any proxy prefix), or pass
    `api="v1"`/`api="v2"` to skip detection.
    """


class WaitTimeout(AirflowBridgeError, TimeoutError):
    """`wait()` gave up before the run reached a terminal state.

    The run goes on on the server; wait again or look at `last`. Also a `TimeoutError`.

    Args:
        message: Which run, in which state, after how long.
        last: The run as last seen.

    Attributes:
        last: The run as last seen.
    """

    def __init__(self, message: str, *, last: DagRun) -> None:
        super().__init__(message)
        self.last = last


class RunFailed(AirflowBridgeError):
    """`wait(raise_on_failure=True)`: the run ended in state `failed`.

    Carries what an operator looks at next: the run and its failed task instances (those in
    state `failed`; `upstream_failed` ones did not run), whose logs
    `task_instances.logs()` reads.

    Args:
        message: Which run failed, and which of its tasks.
        run: The run in its final state.
        failed_tasks: Its task instances in state `failed` (may be empty: a run marked
            failed by hand has none).

    Attributes:
        run: The run in its final state.
        failed_tasks: Its failed task instances.
    """

    def __init__(
        self, message: str, *, run: DagRun, failed_tasks: tuple[TaskInstance, ...]
    ) -> None:
        super().__init__(message)
        self.run = run
        self.failed_tasks = failed_tasks


class FleetConfigError(AirflowBridgeError, ValueError):
    """A fleet file (or a server selection) is wrong; fix what the message names.

    The message names the file, server and key at fault. Also a `ValueError`.
    """


class InsecureCredentialsWarning(_ErrorValue, UserWarning):
    """Credentials would be sent over plain `http://` to a host that is not loopback.

    Warned once per client when it is made with username/password or a token: anyone on the
    network path could read them. Use an `https://` base_url; loopback (`localhost`,
    `127.0.0.1`, `::1`) is exempt.
    """


ERRORS_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    422: BadRequest,
    429: RateLimited,
}


def error_class(status: int) -> type[ApiError]:
    """The ApiError subclass for a status (5xx -> ServerError, other codes -> ApiError)."""
    if status >= 500:
        return ServerError
    return ERRORS_BY_STATUS.get(status, ApiError)


class ClientClosed(AirflowBridgeError, RuntimeError):
    """The client was closed (`close()`, `aclose()` or the end of its `with` block) before this
    call: make a new client. Nothing was sent."""
