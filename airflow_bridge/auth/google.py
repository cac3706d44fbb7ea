"""Google credentials (the `google` extra: google-auth) for Cloud Composer and IAP.

Two kinds of token, both obtained and refreshed by google-auth itself:

- `GoogleAuth.access_token()`: an OAuth2 access token (scope `cloud-platform`), what the
  Airflow REST API of Cloud Composer 2 and 3 takes.
- `GoogleAuth.id_token(audience)`: an OpenID Connect ID token for a target audience, what
  Identity-Aware Proxy (Composer 1, or any Airflow behind IAP; the audience is the IAP
  OAuth client ID) and Airflow 2's `google_openid` API auth backend check.

Credentials come from a service-account key file, or else from Application Default
Credentials (`GOOGLE_APPLICATION_CREDENTIALS`, gcloud's user credentials for access tokens,
the metadata server on Google Cloud). google-auth does its own (blocking) HTTP; under
`AsyncClient` it runs in a worker thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timezone
from pathlib import Path
from typing import Any

from airflow_bridge.auth._extras import require
from airflow_bridge.auth._refresh import (
    REFRESH_MARGIN,
    Credential,
    CredentialsUnavailable,
    LoginFlow,
    Offload,
    RefreshingAuth,
)
from airflow_bridge.errors import InvalidArgument

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"


class GoogleAuth(RefreshingAuth):
    """Google access or ID tokens, refreshed by google-auth before they expire.

    Build it with `GoogleAuth.access_token(...)` or `GoogleAuth.id_token(...)`; the
    constructor takes google-auth credentials you already have (anything with `refresh`,
    `token` and `expiry`; for ID tokens, `token` is the ID token).

    Args:
        credentials: google-auth credentials.
        kind: "access token" or "ID token" (for reprs and errors).
        refresh_margin: Refresh this many seconds before the token's expiry.
        clock: Seconds since the epoch.

    Raises:
        MissingExtra: google-auth (and requests) is not installed.
        CredentialsUnavailable: Raised by requests when google-auth cannot obtain a token
            (the message names the kind and the error's type; the key never appears).
    """

    def __init__(
        self,
        credentials: Any,
        *,
        kind: str = "access token",
        refresh_margin: float = REFRESH_MARGIN,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(refresh_margin=refresh_margin, clock=clock)
        transport = require("google.auth.transport.requests", extra="google", scheme="GoogleAuth")
        self._request = transport.Request()
        self._google = credentials
        self.kind = kind
        self.identity: str | None = getattr(credentials, "service_account_email", None)

    @classmethod
    def access_token(
        cls,
        *,
        service_account_file: str | Path | None = None,
        scopes: tuple[str, ...] = (CLOUD_PLATFORM,),
        **options: Any,
    ) -> GoogleAuth:
        """OAuth2 access tokens (Cloud Composer 2/3), from a service-account key file or ADC.

        Args:
            service_account_file: A service-account JSON key; default: Application Default
                Credentials.
            scopes: The OAuth2 scopes (Composer needs cloud-platform).
            **options: `refresh_margin`, `clock`.
        """
        if not scopes:
            raise InvalidArgument("scopes must name at least one OAuth2 scope")
        if service_account_file is not None:
            sa = require("google.oauth2.service_account", extra="google", scheme="GoogleAuth")
            credentials = _load(
                lambda: sa.Credentials.from_service_account_file(
                    str(service_account_file), scopes=list(scopes)
                )
            )
        else:
            auth = require("google.auth", extra="google", scheme="GoogleAuth")
            credentials, _project = _load(lambda: auth.default(scopes=list(scopes)))
        return cls(credentials, kind="access token", **options)

    @classmethod
    def id_token(
        cls, audience: str, *, service_account_file: str | Path | None = None, **options: Any
    ) -> GoogleAuth:
        """OpenID Connect ID tokens for `audience` (IAP: its OAuth client ID), from a
        service-account key file or ADC (a service-account key in
        GOOGLE_APPLICATION_CREDENTIALS, or the metadata server; gcloud user credentials
        cannot mint ID tokens for an audience).

        Args:
            audience: The token's `aud`: the IAP client ID or the URL the server expects.
            service_account_file: A service-account JSON key; default: ADC.
            **options: `refresh_margin`, `clock`.
        """
        if not audience:
            raise InvalidArgument("id_token needs the audience the server expects")
        if service_account_file is not None:
            sa = require("google.oauth2.service_account", extra="google", scheme="GoogleAuth")
            credentials = _load(
                lambda: sa.IDTokenCredentials.from_service_account_file(
                    str(service_account_file), target_audience=audience
                )
            )
        else:
            id_token = require("google.oauth2.id_token", extra="google", scheme="GoogleAuth")
            transport = require(
                "google.auth.transport.requests", extra="google", scheme="GoogleAuth"
            )
            credentials = _load(
                lambda: id_token.fetch_id_token_credentials(audience, transport.Request())
            )
        return cls(credentials, kind="ID token", **options)

    def __repr__(self) -> str:
        return f"GoogleAuth({self.kind}, identity={self.identity!r})"

    def _login(self, current: Credential | None) -> LoginFlow:
        credential: Credential = yield Offload(self._fetch)
        return credential

    def _fetch(self) -> Credential:
        try:
            self._google.refresh(self._request)
        except Exception as error:
            raise CredentialsUnavailable(
                f"Google could not issue an {self.kind}"
                f"{f' for {self.identity}' if self.identity else ''}: {type(error).__name__}"
            ) from error
        expiry = self._google.expiry  # naive UTC, as google-auth keeps it
        expires_at = None if expiry is None else expiry.replace(tzinfo=timezone.utc).timestamp()
        return Credential(self._google.token, expires_at=expires_at)


def _load(load: Callable[[], Any]) -> Any:
    """Run a google-auth loader; its errors (no ADC, a bad key file) become ours."""
    try:
        return load()
    except Exception as error:
        raise CredentialsUnavailable(
            f"no Google credentials could be loaded: {type(error).__name__}: {_safe(error)}"
        ) from error


def _safe(error: Exception) -> str:
    """google-auth's loader messages say what is missing (a file, ADC); they carry no key
    material, but are cut short in case a malformed key file is quoted."""
    text = str(error)
    return text if "PRIVATE KEY" not in text and len(text) < 300 else "(details withheld)"
