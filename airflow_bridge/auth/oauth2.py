"""OAuth2 bearer tokens from a token endpoint (Keycloak or any RFC 6749 server), no extra.

The token requests are plain httpx requests yielded from the auth flow (sans-I/O), so the
client's own transport, timeouts and proxies carry them, sync and async alike. Grants: client
credentials (a service account) or the resource owner password grant (a user); a refresh
token, when the server issues one (Keycloak does for the password grant), renews the access
token before a new login is needed.

Where this fits: a server behind a gateway that checks the identity provider's tokens (an
OAuth2 proxy, an API gateway, a custom Airflow 2 API auth backend). Airflow 3's Keycloak auth
manager itself takes `POST /auth/token` with a username and password and returns its own JWT:
that is `Client(url, username=..., password=...)`, not this class.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any, Literal, TypeGuard
from urllib.parse import quote_plus

import httpx

from airflow_bridge.auth._refresh import REFRESH_MARGIN, Credential, LoginFlow, RefreshingAuth
from airflow_bridge.errors import AuthenticationError, InvalidArgument


class OAuth2Auth(RefreshingAuth):
    """Bearer tokens from an OAuth2 token endpoint, refreshed before they expire.

    Args:
        token_url: The token endpoint (absolute http(s) URL).
        client_id: The OAuth2 client.
        client_secret: The client's secret (confidential clients; required for the client
            credentials grant).
        username: With `password`, use the password grant for this user; without, the client
            credentials grant.
        password: The user's password.
        scope: Space-separated scopes to ask for, if the server needs them.
        audience: An `audience` parameter, for servers that take one (e.g. Auth0).
        client_auth: How the client authenticates: "basic" (HTTP Basic, RFC 6749's default)
            or "post" (client_id and client_secret in the form).
        refresh_margin: Renew this many seconds before `expires_in` runs out (clock skew).
        clock: Seconds since the epoch (tests pass a controllable clock).

    Raises:
        InvalidArgument: A missing or contradictory argument (checked before any request).
        AuthenticationError: Raised by requests when the token endpoint refuses (its status,
            and its `error`/`error_description`, never the credentials).
    """

    def __init__(
        self,
        token_url: str,
        *,
        client_id: str,
        client_secret: str | None = None,
        username: str | None = None,
        password: str | None = None,
        scope: str | None = None,
        audience: str | None = None,
        client_auth: Literal["basic", "post"] = "basic",
        refresh_margin: float = REFRESH_MARGIN,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(refresh_margin=refresh_margin, clock=clock)
        if not token_url.startswith(("http://", "https://")):
            raise InvalidArgument(f"token_url must be an absolute http(s) URL, not {token_url!r}")
        if (username is None) != (password is None):
            raise InvalidArgument("the password grant needs both username= and password=")
        if username is None and client_secret is None:
            raise InvalidArgument(
                "the client credentials grant needs client_secret= (or pass username= and "
                "password= for the password grant)"
            )
        if client_auth not in ("basic", "post"):
            raise InvalidArgument(f'client_auth must be "basic" or "post", not {client_auth!r}')
        self.token_url = token_url
        self.client_id = client_id
        self.grant = "client_credentials" if username is None else "password"
        self._secret = client_secret
        self._username = username
        self._password = password
        self._extra = {k: v for k, v in (("scope", scope), ("audience", audience)) if v}
        self._client_auth = client_auth

    def __repr__(self) -> str:
        who = f", username={self._username!r}" if self._username else ""
        return (
            f"{type(self).__name__}(token_url={self.token_url!r}, client_id={self.client_id!r}, "
            f"grant={self.grant!r}{who})"
        )

    def _token_request(self, form: dict[str, str]) -> httpx.Request:
        headers = {"Accept": "application/json"}
        form = {**form, "client_id": self.client_id}
        if self._secret is not None and self._client_auth == "basic":
            pair = f"{quote_plus(self.client_id)}:{quote_plus(self._secret)}"  # RFC 6749 2.3.1
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        elif self._secret is not None:
            form["client_secret"] = self._secret
        return httpx.Request("POST", self.token_url, data=form, headers=headers)

    def _grant_form(self) -> dict[str, str]:
        if self._username is not None and self._password is not None:
            return {
                "grant_type": "password",
                "username": self._username,
                "password": self._password,
                **self._extra,
            }
        return {"grant_type": "client_credentials", **self._extra}

    def _refreshable(self, current: Credential | None) -> bool:
        if current is None or current.refresh_token is None:
            return False
        expiry = current.refresh_expires_at
        return expiry is None or self._clock() < expiry - self._margin

    def _login(self, current: Credential | None) -> LoginFlow:
        if current is not None and self._refreshable(current):
            assert current.refresh_token is not None
            sent_at = self._clock()
            form = {"grant_type": "refresh_token", "refresh_token": current.refresh_token}
            response = yield self._token_request(form)
            if response.is_success:
                return self._credential_from(response, sent_at, "refresh_token")
            # refused (expired session, revoked): a full login below
        sent_at = self._clock()
        response = yield self._token_request(self._grant_form())
        return self._credential_from(response, sent_at, self.grant)

    def _credential_from(self, response: httpx.Response, sent_at: float, grant: str) -> Credential:
        """The token answer read per RFC 6749 5.1 (and Keycloak's `refresh_expires_in`);
        lifetimes count from when the request was sent, the earliest the server could mean."""
        body = _json(response)
        if not response.is_success or not isinstance(body.get("access_token"), str):
            reason = ": ".join(
                str(body[k]) for k in ("error", "error_description") if isinstance(body.get(k), str)
            )
            problem = reason or ("no access_token in the answer" if response.is_success else "")
            raise AuthenticationError(
                f"the token endpoint refused the {grant} grant for client {self.client_id!r}"
                + (f" ({problem})" if problem else ""),
                status=response.status_code,
                method="POST",
                url=self.token_url,
            )
        expires_in, refresh_in = body.get("expires_in"), body.get("refresh_expires_in")
        refresh_token = body.get("refresh_token")
        return Credential(
            body["access_token"],
            expires_at=sent_at + expires_in if _number(expires_in) else None,
            refresh_token=refresh_token if isinstance(refresh_token, str) else None,
            # Keycloak: 0 means the refresh token lasts as long as the session (no own expiry)
            refresh_expires_at=sent_at + refresh_in if _number(refresh_in) and refresh_in else None,
        )


class KeycloakAuth(OAuth2Auth):
    """`OAuth2Auth` at a Keycloak realm's token endpoint
    (`{server_url}/realms/{realm}/protocol/openid-connect/token`).

    Args:
        server_url: Keycloak's base URL (before Keycloak 17, include its `/auth` prefix).
        realm: The realm name.
        client_id: As `OAuth2Auth`.
        client_secret: As `OAuth2Auth`.
        username: As `OAuth2Auth`.
        password: As `OAuth2Auth`.
        scope: As `OAuth2Auth`.
        client_auth: As `OAuth2Auth`.
        refresh_margin: As `OAuth2Auth`.
        clock: As `OAuth2Auth`.
    """

    def __init__(
        self,
        server_url: str,
        realm: str,
        *,
        client_id: str,
        client_secret: str | None = None,
        username: str | None = None,
        password: str | None = None,
        scope: str | None = None,
        client_auth: Literal["basic", "post"] = "basic",
        refresh_margin: float = REFRESH_MARGIN,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not realm or "/" in realm:
            raise InvalidArgument(f"realm must be a Keycloak realm name, not {realm!r}")
        super().__init__(
            f"{server_url.rstrip('/')}/realms/{realm}/protocol/openid-connect/token",
            client_id=client_id,
            client_secret=client_secret,
            username=username,
            password=password,
            scope=scope,
            client_auth=client_auth,
            refresh_margin=refresh_margin,
            clock=clock,
        )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = json.loads(response.content)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _number(value: object) -> TypeGuard[float]:
    """A JSON number (not a boolean)."""
    return isinstance(value, int | float) and not isinstance(value, bool)
