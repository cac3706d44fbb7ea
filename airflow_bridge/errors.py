"""One flat error hierarchy for both Airflow generations.

Every failure a server or the network can cause is an `AirflowBridgeError`. Server answers
are `ApiError` subclasses chosen by status, whatever the body's shape (RFC 7807 on Airflow 2,
FastAPI's `detail` on Airflow 3, or an HTML page). Messages say what happened and what to do,
and never carry secrets.

An argument the library can tell is wrong without asking a server is an `InvalidArgument`,
raised before anything is sent (before the version probe too). It is a `ValueError` and a
`TypeError`, not an `AirflowBridgeError`: it is the caller's bug, the same on every server, so
`except AirflowBridgeError` (server or network trouble) never swallows it and a fleet raises
it at once instead of reporting it once per server.
"""

from __future__ import annotations

from typing import Any


class AirflowBridgeError(Exception):
    """Base of every error this library raises."""


class InvalidArgument(ValueError, TypeError):
    """An argument no Airflow server would take as meant; raised before any request is sent."""


class ApiError(AirflowBridgeError):
    """The server answered with a non-2xx status."""

    def __init__(
        self, message: str, *, status: int, method: str, url: str, body: Any = None
    ) -> None:
        super().__init__(f"{status} on {method} {url}: {message}")
        self.message = message
        self.status = status
        self.method = method
        self.url = url
        self.body = body


class BadRequest(ApiError):
    """400 or 422: the server refused the request's content (fix the arguments)."""


class InvalidRunId(BadRequest):
    """The server refused a trigger's run_id: it does not match the server's run id pattern.

    Airflow 3 answers 400 naming the pattern; Airflow 2 (2.6.3+) fails with a 500 page, which
    is reported as this error when the run_id fails Airflow's default pattern (seen on 2.10.5
    and 3.3.2). `pattern` is the default pattern; a server may be configured with a wider one
    (`[scheduler] allowed_run_id_pattern`), and then accepts such ids.
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
    ) -> None:
        super().__init__(message, status=status, method=method, url=url, body=body)
        self.run_id = run_id
        self.pattern = pattern


class AuthenticationError(ApiError):
    """401: missing or wrong credentials, or a login at /auth/token failed."""


class PermissionDenied(ApiError):
    """403: the user is known but its role may not do this."""


class NotFound(ApiError):
    """404: no such DAG or run (or no such endpoint on this server)."""


class Conflict(ApiError):
    """409: e.g. a run with this run_id already exists."""


class ServerError(ApiError):
    """5xx: the server failed; retrying later may help."""


class Redirected(ApiError):
    """3xx: something in front of the server (a proxy, a login page) redirects the API.

    The library does not follow redirects: a redirected POST may be replayed as a GET, and
    credentials must not follow a redirect to another host. `location` is where it points;
    the message says which base URL to use instead when the target is the same API elsewhere
    (e.g. http -> https).
    """

    def __init__(self, message: str, *, location: str, status: int, method: str, url: str) -> None:
        super().__init__(message, status=status, method=method, url=url)
        self.location = location


class UnsupportedOperation(AirflowBridgeError):
    """The server's Airflow version cannot do this; raised before any request is sent."""

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
    """Neither API generation answered like an Airflow server; says what each probe got."""


class TransportError(AirflowBridgeError):
    """The request never got an answer (connection refused, DNS, timeout, TLS...)."""


class InvalidResponse(AirflowBridgeError):
    """A 2xx answer whose body this library cannot read as the API promises."""

    def __init__(self, message: str, *, method: str, url: str, body: Any = None) -> None:
        super().__init__(f"{method} {url}: {message}")
        self.method = method
        self.url = url
        self.body = body


class WaitTimeout(AirflowBridgeError, TimeoutError):
    """`wait()` gave up before the run reached a terminal state; `last` is what it last saw."""

    def __init__(self, message: str, *, last: Any) -> None:
        super().__init__(message)
        self.last = last


ERRORS_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    422: BadRequest,
}


def error_class(status: int) -> type[ApiError]:
    """The ApiError subclass for a status (5xx -> ServerError, other codes -> ApiError)."""
    if status >= 500:
        return ServerError
    return ERRORS_BY_STATUS.get(status, ApiError)


class PartialUpdate(ApiError):
    """`update()` needed several calls (Airflow 2: state, then note) and a later one failed.

    What the earlier calls changed stays changed: `applied` maps each field they set to its
    value (e.g. `{"state": "failed"}`), `not_applied` names the fields of the failed call,
    `run` is the run as the last successful call returned it, and `error` is the failed call's
    own error (whose status, method and url this error repeats). Arguments that are wrong on
    their own (a note over 1000 characters) are refused before the first call, so this only
    happens when the server refuses or fails something else.
    """

    def __init__(
        self, error: ApiError, *, applied: dict[str, Any], not_applied: tuple[str, ...], run: Any
    ) -> None:
        done = ", ".join(f"{name}={value!r}" for name, value in applied.items())
        super().__init__(
            f"{done} was applied, but {' and '.join(not_applied)} was not: {error.message}",
            status=error.status,
            method=error.method,
            url=error.url,
            body=error.body,
        )
        self.error = error
        self.applied = applied
        self.not_applied = not_applied
        self.run = run
