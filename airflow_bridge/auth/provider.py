"""Bearer tokens from wherever they live: a callable, a file, an environment variable.

For Astronomer deployment API tokens, tokens a sidecar writes and rotates, or a secrets
manager: `TokenProvider` asks its source for a token when it has none, when the token is near
its expiry, and once more when the server refuses it (401), so a rotated token is picked up
without restarting anything.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from airflow_bridge.auth._header_values import token_problem
from airflow_bridge.auth._refresh import (
    REFRESH_MARGIN,
    Credential,
    CredentialsUnavailable,
    LoginFlow,
    Offload,
    RefreshingAuth,
)
from airflow_bridge.errors import InvalidArgument

#: What a source may return: the token, or a `Credential` that says when it expires.
TokenSource = Callable[[], "str | Credential"]


class TokenProvider(RefreshingAuth):
    """A bearer token from `source`, asked again before expiry and after a refusal.

    The expiry is, in order: the `Credential.expires_at` the source returned, the `exp` claim
    when the token is a JWT, `lifetime` seconds after it was obtained, or none (then the token
    is kept until the server refuses it). A blocking source runs in a worker thread under
    `AsyncClient`. Concurrent requests share one call of the source.

    Args:
        source: Returns the token (str) or a `Credential`; called without arguments.
        name: How the source is named in reprs and errors (default: its `__qualname__`).
        lifetime: Seconds after which to ask again, for opaque tokens without an expiry.
        refresh_margin: Ask this many seconds before the expiry (clock skew).
        clock: Seconds since the epoch.

    Raises:
        CredentialsUnavailable: Raised by requests when the source fails or returns no token
            (the message names the source and the error's type, not its text or the token;
            a `CredentialsUnavailable` the source raises is passed on as it is).
        InvalidArgument: Raised by requests, before anything is sent and without a retry,
            when the source returns a token no HTTP header can carry (a trailing newline,
            surrounding whitespace, a control or non-ASCII character); the message says
            what is wrong, never the token.
    """

    def __init__(
        self,
        source: TokenSource,
        *,
        name: str | None = None,
        lifetime: float | None = None,
        refresh_margin: float = REFRESH_MARGIN,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(refresh_margin=refresh_margin, clock=clock)
        if not callable(source):
            raise InvalidArgument(
                f"source must be a callable returning a token, not {type(source).__name__}"
            )
        if lifetime is not None and lifetime <= 0:
            raise InvalidArgument(f"lifetime must be > 0 seconds, got {lifetime!r}")
        self._source = source
        self.name = name or getattr(source, "__qualname__", type(source).__name__)
        self._lifetime = lifetime

    @classmethod
    def from_file(cls, path: str | Path, **options: Any) -> TokenProvider:
        """The token in a file (surrounding whitespace stripped), re-read when due."""
        file = Path(path)
        return cls(lambda: file.read_text().strip(), name=f"file {file}", **options)

    @classmethod
    def from_env(cls, variable: str, **options: Any) -> TokenProvider:
        """The token in an environment variable, re-read when due."""

        def read() -> str:
            if variable not in os.environ:
                raise KeyError(variable)
            return os.environ[variable].strip()

        return cls(read, name=f"environment variable {variable}", **options)

    def __repr__(self) -> str:
        return f"TokenProvider({self.name})"

    def _login(self, current: Credential | None) -> LoginFlow:
        credential: Credential = yield Offload(self._fetch)
        return credential

    def _fetch(self) -> Credential:
        try:
            got = self._source()
        except CredentialsUnavailable:
            raise  # the source's own message, written to be shown
        except Exception as error:
            raise CredentialsUnavailable(
                f"the token provider ({self.name}) failed: {type(error).__name__}"
            ) from error
        if not isinstance(got, Credential | str) or got == "":
            raise CredentialsUnavailable(
                f"the token provider ({self.name}) returned {type(got).__name__}"
                f"{' (empty)' if got == '' else ''}, not a token"
            )
        problem = token_problem(got.value if isinstance(got, Credential) else got)
        if problem is not None:
            del got  # a traceback's locals (pytest --showlocals, rich) would show the token
            raise InvalidArgument(
                f"the token provider ({self.name}) returned a token that {problem}"
            )
        if isinstance(got, Credential):
            return got
        expires_at = jwt_expiry(got)
        if expires_at is None and self._lifetime is not None:
            expires_at = self._clock() + self._lifetime
        return Credential(got, expires_at=expires_at)


def jwt_expiry(token: str) -> float | None:
    """The `exp` claim of a JWT, read without verifying it (the server verifies); None for
    anything else."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else None
