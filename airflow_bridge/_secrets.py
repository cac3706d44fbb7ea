"""Secrets kept out of sight: a wrapper whose repr is hidden, and the plain-http warning.

A password or token held by a client, its settings or its auth is a `Secret`: its `repr` and
`str` are `Secret('********')`, so debuggers, `vars()`, pytest's `--showlocals` and rich's
`show_locals` tracebacks show the wrapper, never the value. The value is taken out with
`reveal()` only where it goes on the wire.
"""

from __future__ import annotations

import ipaddress
import warnings
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from airflow_bridge.auth._header_values import token_problem
from airflow_bridge.errors import InsecureCredentialsWarning, InvalidArgument

T = TypeVar("T")
HIDDEN = "Secret('********')"


class Secret(Generic[T]):
    """A value that never shows itself; `reveal()` returns it.

    Args:
        value: The secret (a password, a token, a login body).
    """

    __slots__ = ("_value",)

    def __init__(self, value: T) -> None:
        self._value = value

    def reveal(self) -> T:
        """The value itself, for the one place it is sent."""
        return self._value

    def __repr__(self) -> str:
        return HIDDEN

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


def hidden(value: T | None) -> Secret[T] | None:
    """`value` as a Secret, None as None."""
    return None if value is None else Secret(value)


def check_token(token: str, whose: str) -> str:
    """`token` when it can go in an `Authorization: Bearer` header; else InvalidArgument
    saying what is wrong with it and what to do, never quoting it. `whose` starts the
    message ("the token", "the token provider (file t.txt) returned a token that")."""
    problem = token_problem(token)
    if problem is not None:
        raise InvalidArgument(f"{whose} {problem}")
    return token


def warn_if_plain_http(base_url: str, username: str | None) -> None:
    """Warn (InsecureCredentialsWarning) when credentials would go unencrypted to another
    machine: an `http://` URL whose host is not loopback (localhost, 127.0.0.0/8, ::1).
    The warning names what would be sent: username/password when `username` is given (even
    empty), else the token."""
    parts = urlsplit(base_url)
    if parts.scheme != "http" or _loopback(parts.hostname or ""):
        return
    credentials = "the token" if username is None else "username/password"
    warnings.warn(
        f"{credentials} would be sent unencrypted over plain http to {parts.hostname}: use an "
        "https:// base_url (anyone on the network path can read them)",
        InsecureCredentialsWarning,
        stacklevel=4,
    )


def _loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
