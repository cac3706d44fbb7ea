"""One flat error hierarchy for both Airflow generations.

Every failure a user can meet is an `AirflowBridgeError`. Server answers are `ApiError`
subclasses chosen by status, whatever the body's shape (RFC 7807 on Airflow 2, FastAPI's
`detail` on Airflow 3, or an HTML page). Messages say what happened and never carry secrets.
"""

from __future__ import annotations

from typing import Any


class AirflowBridgeError(Exception):
    """Base of every error this library raises."""


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
