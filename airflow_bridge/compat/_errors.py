"""The official clients' exception classes, which are also airflow_bridge errors.

`except ApiException as e: e.status` keeps working, and so does `except NotFound`: each class
derives from the official name and from the matching `airflow_bridge.errors` class. The 2.x
client has no classes for 400/409/422 (they arrive as plain `ApiException`); the 3.x client
does, and both layers raise them, as subclasses of `ApiException` they are caught the same.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http import HTTPStatus
from typing import Any

from airflow_bridge import errors


class OpenApiException(Exception):
    """The base of every exception the official clients define."""


class ApiTypeError(OpenApiException, TypeError):
    """A wrong argument type or field (raised before anything is sent)."""


class ApiValueError(OpenApiException, ValueError):
    """A wrong argument value (raised before anything is sent)."""


class ApiAttributeError(OpenApiException, AttributeError):
    """A model field the server did not send (the official 2.x models raise this too)."""


class ApiKeyError(OpenApiException, KeyError):
    """A missing key."""


class ApiException(OpenApiException, errors.ApiError):
    """The server answered with an error: `.status`, `.reason` (the HTTP phrase), `.body`
    (the raw body: bytes on the 2.x layer as urllib3 gives them, str on the 3.x layer),
    `.headers` (the response's, credentials redacted) and `.data` (None, as in the official)."""

    def __init__(
        self,
        status: int | None = None,
        reason: str | None = None,
        http_resp: Any = None,
        *,
        body: Any = None,
        data: Any = None,
        method: str = "",
        url: str = "",
        headers: errors.ResponseHeaders | None = None,
        retry_after: float | None = None,
    ) -> None:
        Exception.__init__(self, status, reason)
        self.status: int = status or 0
        self.reason = reason
        self.body = body
        self.data = data
        self.headers = headers if headers is not None else errors.ResponseHeaders()
        self.retry_after = retry_after
        self.message = reason or ""
        self.method = method
        self.url = url
        if http_resp is not None:
            self.status = http_resp.status
            self.reason = http_resp.reason
            self.body = http_resp.data

    def __str__(self) -> str:
        text = f"({self.status})\nReason: {self.reason}\n"
        if self.body:
            text += f"HTTP response body: {self.body}\n"
        return text


class BadRequestException(ApiException, errors.BadRequest):
    """400 (3.x client name)."""


class UnauthorizedException(ApiException, errors.AuthenticationError):
    """401."""


class ForbiddenException(ApiException, errors.PermissionDenied):
    """403."""


class NotFoundException(ApiException, errors.NotFound):
    """404."""


class ConflictException(ApiException, errors.Conflict):
    """409 (3.x client name; on the 2.x layer it is caught as ApiException)."""


class UnprocessableEntityException(ApiException, errors.BadRequest):
    """422 (3.x client name)."""


class ServiceException(ApiException, errors.ServerError):
    """5xx."""


_BY_STATUS: dict[int, type[ApiException]] = {
    400: BadRequestException,
    401: UnauthorizedException,
    403: ForbiddenException,
    404: NotFoundException,
    409: ConflictException,
    422: UnprocessableEntityException,
}


def from_facade(error: errors.ApiError, *, body_bytes: bool) -> ApiException:
    """The official-style exception for a facade ApiError (same status, method, URL)."""
    cls = ServiceException if error.status >= 500 else _BY_STATUS.get(error.status, ApiException)
    body = error.body if isinstance(error.body, str) else json.dumps(error.body)
    try:
        reason = HTTPStatus(error.status).phrase
    except ValueError:
        reason = error.message
    return cls(
        error.status,
        reason,
        body=body.encode() if body_bytes else body,
        method=error.method,
        url=error.url,
        headers=error.headers,
        retry_after=error.retry_after,
    )


def in_callers_names(message: str, names: Mapping[str, str]) -> str:
    """A facade message with its argument names (`names` keys, whole words) replaced by the
    ones the caller wrote (`names` values), in one pass; quoted text (the values the caller
    passed, shown with `!r`) is left as it is."""
    if not names:
        return message
    pattern = re.compile(r"\b(" + "|".join(re.escape(name) for name in names) + r")\b")
    parts = _QUOTED.split(message)  # odd indexes: the quoted parts
    return "".join(
        part if i % 2 else pattern.sub(lambda match: names[match.group(1)], part)
        for i, part in enumerate(parts)
    )


#: A Python repr of a str: the quoted values a facade message shows.
_QUOTED = re.compile(r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")


@contextmanager
def translated(*, body_bytes: bool, names: Mapping[str, str] | None = None) -> Iterator[None]:
    """Run facade calls; their ApiErrors surface as the official classes, argument errors as
    ApiValueError/ApiTypeError (still ValueError/TypeError) naming the caller's arguments:
    `names` maps the facade's argument names to the ones the layer's caller wrote.
    UnsupportedOperation and transport errors pass through: they already say what is wrong."""
    try:
        yield
    except ApiException:
        raise
    except errors.ApiError as exc:
        raise from_facade(exc, body_bytes=body_bytes) from exc
    except (ApiTypeError, ApiValueError):
        raise
    except TypeError as exc:
        raise ApiTypeError(in_callers_names(str(exc), names or {})) from exc
    except ValueError as exc:
        raise ApiValueError(in_callers_names(str(exc), names or {})) from exc
