"""The server side of the auth schemes a `FakeAirflow` can require (`FakeAirflow(auth=...)`).

Each scheme says who a request is from, or refuses it as the real server does. It may add
endpoints of its own (an OAuth2 token endpoint, MWAA's web login), and gives the test what it
needs to mint credentials. Written from the servers' sources and documentation, not from the
client's code (the fake imports nothing of the library):

- `KerberosScheme`: Airflow 2's Kerberos API auth backend (FAB provider `kerberos_auth`).
- `GoogleScheme`: Airflow 2's `google_openid` backend (Google provider), ID tokens.
- `OAuth2Scheme`: bearer tokens from an OAuth2 token endpoint the fake serves at Keycloak's
  path, checked as a gateway or custom backend would; either generation.
- `MWAAScheme`: an Amazon MWAA (Airflow 2) web server: a web login token is exchanged at
  `/aws_mwaa/login` for a session cookie.

No scheme applies to the public endpoints (`/version`, `/health`): Airflow serves them to
anyone, whatever the backend.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl

from airflow_bridge.testing._http import Abort, Call, Request, Response, Route, json_response

if TYPE_CHECKING:
    from airflow_bridge.testing._api import Api

#: Flask's default content type, which Airflow 2's auth backends answer their refusals in.
_TEXT = "text/html; charset=utf-8"


class AuthScheme:
    """How a fake server authenticates requests to its non-public endpoints.

    The fake's API calls `_user()`: the authenticated user, None to let the generation refuse
    as it does a missing credential (Airflow 2: a 401 problem; Airflow 3: 401 "Not
    authenticated"), or `Abort` with the scheme's own refusal; and serves `_routes()`.
    """

    name: ClassVar[str]
    #: The API generations ("v1", "v2") whose servers can use this scheme.
    generations: ClassVar[tuple[str, ...]] = ("v1", "v2")
    _api: Api | None = None

    def _bind(self, api: Api) -> None:
        """Serve `api` (its users, clock and error shapes); one server per scheme."""
        if self._api is not None and self._api is not api:
            raise ValueError("an AuthScheme serves one FakeAirflow; make one per fake")
        self._api = api

    @property
    def _server(self) -> Api:
        if self._api is None:
            raise RuntimeError("this AuthScheme is not serving a FakeAirflow yet")
        return self._api

    def _now(self) -> float:
        """The serving fake's clock, in epoch seconds."""
        return self._server.store.clock.now().timestamp()

    def _routes(self) -> list[Route]:
        """Endpoints the scheme adds to the server (public: they are how one logs in)."""
        return []

    def _user(self, request: Request) -> str | None:
        raise NotImplementedError


def _text(status: int, text: str, headers: Mapping[str, str] | None = None) -> Abort:
    return Abort(Response(status, {"content-type": _TEXT, **(headers or {})}, text.encode()))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class _HS256:
    """Signed JWTs (HS256, stdlib only) with a key the test can read, to mint its own."""

    def __init__(self, key: bytes | None) -> None:
        #: The signing key: tests mint tokens the fake accepts with it (e.g. with PyJWT).
        self.key = key if key is not None else secrets.token_bytes(32)

    def sign(self, claims: Mapping[str, Any]) -> str:
        head = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        body = _b64url(json.dumps(dict(claims), separators=(",", ":")).encode())
        signature = hmac.new(self.key, f"{head}.{body}".encode(), hashlib.sha256).digest()
        return f"{head}.{body}.{_b64url(signature)}"

    def claims(self, token: str) -> dict[str, Any] | None:
        """The claims of a token this key signed, else None (expiry is the caller's)."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        expected = hmac.new(self.key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(_b64url(expected), parts[2]):
            return None
        try:
            header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
            claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except (ValueError, binascii.Error):
            return None
        ok = isinstance(header, dict) and header.get("alg") == "HS256" and isinstance(claims, dict)
        return claims if ok else None


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


# -- Kerberos ------------------------------------------------------------------------------

#: DER of the mechanism OIDs a Negotiate token may name (RFC 4178 SPNEGO, RFC 4121 Kerberos 5).
_SPNEGO_OID = bytes.fromhex("06062b0601050502")
_KRB5_OID = bytes.fromhex("06092a864886f712010202")


class KerberosScheme(AuthScheme):
    """Airflow 2's Kerberos API auth backend, as far as a fake can play it.

    A fake has no keytab and no KDC, so it cannot check a ticket: it accepts any token that is
    a well-formed GSS-API initial context token (RFC 2743 3.1: tag 0x60, a DER length, then
    the SPNEGO or Kerberos 5 mechanism OID), which is what a real client (httpx-gssapi, curl
    --negotiate) sends, and takes the request as `user`'s. Like the real backend it reads the
    token after the first word of any Authorization header; no header is 401 with
    `WWW-Authenticate: Negotiate`, a token it cannot accept 403, both plain text. It answers
    no mutual-authentication token (so clients must not require one). `token()` mints a
    well-formed token for tests without a Kerberos library.

    Args:
        user: The Airflow user every accepted ticket stands for.
    """

    name = "kerberos"
    generations = ("v1",)  # an Airflow 3 FakeAirflow refuses it (ValueError)

    def __init__(self, user: str = "admin") -> None:
        self.principal_user = user

    def token(self) -> str:
        """A well-formed (never valid) Kerberos 5 AP-REQ initial context token.

        Returns:
            The token, base64, for `Authorization: Negotiate <token>`.
        """
        inner = _KRB5_OID + b"\x01\x00" + secrets.token_bytes(64)
        return base64.b64encode(b"\x60" + _der_length(len(inner)) + inner).decode()

    def _user(self, request: Request) -> str | None:
        header = request.headers.get("authorization")
        if not header:
            raise _text(401, "Unauthorized", {"www-authenticate": "Negotiate"})
        if not _gss_initial_token("".join(header.split()[1:])):
            raise _text(403, "Forbidden")
        return self.principal_user


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _gss_initial_token(text: str) -> bool:
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    if len(data) < 2 or data[0] != 0x60:
        return False
    size, start = data[1], 2
    if size & 0x80:
        count = size & 0x7F
        size, start = int.from_bytes(data[2 : 2 + count], "big"), 2 + count
    body = data[start:]
    return len(body) == size and body.startswith((_SPNEGO_OID, _KRB5_OID))


# -- Google ID tokens ----------------------------------------------------------------------

GOOGLE_ISSUERS = ("accounts.google.com", "https://accounts.google.com")


class GoogleScheme(AuthScheme):
    """Airflow 2's `google_openid` API auth backend: an ID token as a bearer token.

    Checked as the backend does: issuer (accounts.google.com), audience, expiry (by the
    fake's clock), `email_verified`, and a user for the email. Google signs RS256 with its
    published keys; the fake signs and checks HS256 with `key`, so tests mint tokens with
    `mint()` (or point a token endpoint stand-in at it). Every refusal is 403 "Forbidden",
    plain text, a missing token included, as the backend answers.

    Args:
        audience: The `aud` the server expects (`[api] google_oauth2_audience`).
        emails: Email -> Airflow user; None accepts every verified email as "admin".
        key: The HS256 key (default: random).
    """

    name = "google"
    generations = ("v1",)  # an Airflow 3 FakeAirflow refuses it (ValueError)

    def __init__(
        self,
        audience: str = "airflow-fake",
        *,
        emails: Mapping[str, str] | None = None,
        key: bytes | None = None,
    ) -> None:
        self.audience = audience
        self.emails = None if emails is None else dict(emails)
        self._jwt = _HS256(key)

    @property
    def key(self) -> bytes:
        """The HS256 key ID tokens are signed and checked with."""
        return self._jwt.key

    def mint(
        self,
        email: str,
        *,
        audience: str | None = None,
        lifetime: float = 3600,
        verified: bool = True,
    ) -> str:
        """An ID token as Google issues one for a service account.

        Args:
            email: The `email` claim (the Airflow user is looked up by it).
            audience: The `aud` claim (default: the one the server expects).
            lifetime: Seconds it is valid, from the fake's now (negative: already expired).
            verified: The `email_verified` claim.

        Returns:
            The signed token, for `Authorization: Bearer <token>`.

        Raises:
            RuntimeError: The scheme is not serving a FakeAirflow yet (no clock to date it).
        """
        issued_at = self._now()
        return self._jwt.sign(
            {
                "iss": "https://accounts.google.com",
                "aud": audience or self.audience,
                "sub": str(int(hashlib.sha256(email.encode()).hexdigest()[:15], 16)),
                "email": email,
                "email_verified": verified,
                "iat": int(issued_at),
                "exp": int(issued_at + lifetime),
            }
        )

    def _user(self, request: Request) -> str | None:
        token = _bearer(request)
        claims = self._jwt.claims(token) if token else None
        email = self._email(claims, self._now())
        user = None if email is None else self._user_for(email)
        if user is None:
            raise _text(403, "Forbidden")
        return user

    def _email(self, claims: dict[str, Any] | None, now: float) -> str | None:
        if claims is None or claims.get("iss") not in GOOGLE_ISSUERS:
            return None
        exp = claims.get("exp")
        if claims.get("aud") != self.audience or not isinstance(exp, int) or now >= exp:
            return None
        email = claims.get("email")
        return email if claims.get("email_verified") is True and isinstance(email, str) else None

    def _user_for(self, email: str) -> str | None:
        return "admin" if self.emails is None else self.emails.get(email)


# -- OAuth2 (Keycloak's token endpoint) ------------------------------------------------------


class OAuth2Scheme(AuthScheme):
    """Bearer tokens from an OAuth2 token endpoint on the fake, at Keycloak's path
    (`/realms/{realm}/protocol/openid-connect/token`): the client credentials, password and
    refresh token grants (RFC 6749), answered in Keycloak's shape. Tokens are HS256 JWTs
    signed with `key`, `expires_in` seconds by the fake's clock.

    API requests carry the token as `Authorization: Bearer` (the fake plays a gateway or a
    custom backend in front of the API). A refused token is answered in the generation's
    own way: Airflow 2's 401 problem; Airflow 3's 401 "Not authenticated", 401 "Token
    Expired" or 403 "Invalid JWT token".

    Args:
        realm: The realm in the token endpoint's path.
        clients: Client id -> secret.
        audience: The tokens' `aud`, checked on each API request.
        lifetime: Seconds an access token lives.
        refresh_lifetime: Seconds a refresh token lives (password grant only); None: none.
        key: The HS256 key (default: random).
    """

    name = "oauth2"

    def __init__(
        self,
        *,
        realm: str = "airflow",
        clients: Mapping[str, str] | None = None,
        audience: str = "airflow",
        lifetime: int = 300,
        refresh_lifetime: int | None = 1800,
        key: bytes | None = None,
    ) -> None:
        self.realm = realm
        self.clients = dict(clients or {"airflow-bridge": "bridge-secret"})
        self.audience = audience
        self.lifetime, self.refresh_lifetime = lifetime, refresh_lifetime
        self._jwt = _HS256(key)
        self._refresh_tokens: dict[str, tuple[str, float]] = {}  # token -> (subject, until)
        #: The grant_type of every token answered, in order (tests count logins with it).
        self.grants: list[str] = []

    @property
    def key(self) -> bytes:
        """The HS256 key access tokens are signed and checked with."""
        return self._jwt.key

    @property
    def token_path(self) -> str:
        """The token endpoint's path on the fake (append it to the fake's URL)."""
        return f"/realms/{self.realm}/protocol/openid-connect/token"

    def _routes(self) -> list[Route]:
        return [Route("POST", self.token_path, "oauth2_token", self._token, public=True)]

    def _user(self, request: Request) -> str | None:
        api = self._server
        token = _bearer(request)
        if token is None:
            return None
        claims = self._jwt.claims(token)
        if claims is None or claims.get("aud") != self.audience:
            if api.api == "v1":
                return None
            raise Abort(api.error(403, "Invalid JWT token"))
        exp = claims.get("exp")
        if not isinstance(exp, int) or self._now() >= exp:
            if api.api == "v1":
                return None
            raise Abort(api.error(401, "Token Expired"))
        subject: str = claims["sub"]
        return subject if subject in api.users else "admin"  # a service account: an admin

    def _token(self, call: Call) -> Response:
        api, request = self._server, call.request
        form = dict(parse_qsl(request.body.decode()))
        client = self._client(request, form)
        grant = form.get("grant_type", "")
        if client is None:
            return _oauth_error(
                401, "invalid_client", "Invalid client or Invalid client credentials"
            )
        now = self._now()
        if grant == "client_credentials":
            subject = f"service-account-{client}"
        elif grant == "password":
            subject = form.get("username", "")
            if api.users.get(subject) != form.get("password") or not subject:
                return _oauth_error(401, "invalid_grant", "Invalid user credentials")
        elif grant == "refresh_token":
            found = self._refresh_tokens.pop(form.get("refresh_token", ""), None)
            if found is None or now >= found[1]:
                return _oauth_error(400, "invalid_grant", "Token is not active")
            subject = found[0]
        else:
            return _oauth_error(400, "unsupported_grant_type", "Unsupported grant_type")
        self.grants.append(grant)
        claims = {
            "sub": subject,
            "aud": self.audience,
            "azp": client,
            "iat": int(now),
            "exp": int(now + self.lifetime),
            "jti": secrets.token_hex(8),
        }
        answer: dict[str, Any] = {
            "access_token": self._jwt.sign(claims),
            "expires_in": self.lifetime,
            "token_type": "Bearer",
            "scope": form.get("scope", "profile email"),
        }
        if grant != "client_credentials" and self.refresh_lifetime is not None:
            refresh = secrets.token_urlsafe(24)
            self._refresh_tokens[refresh] = (subject, now + self.refresh_lifetime)
            answer |= {"refresh_token": refresh, "refresh_expires_in": self.refresh_lifetime}
        return json_response(200, answer)

    def _client(self, request: Request, form: Mapping[str, str]) -> str | None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                pair = base64.b64decode(value, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return None
            client_id, _, secret = pair.partition(":")
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        return client_id if client_id and self.clients.get(client_id) == secret else None


def _oauth_error(status: int, error: str, description: str) -> Response:
    return json_response(status, {"error": error, "error_description": description})


# -- Amazon MWAA ---------------------------------------------------------------------------


class MWAAScheme(AuthScheme):
    """An Amazon MWAA web server (Airflow 2 environments): `web_login_token()` is what
    `CreateWebLoginToken` answers; `POST /aws_mwaa/login` with the form field `token` (single
    use, 60 seconds by the fake's clock) answers a redirect that sets the `session` cookie,
    which authenticates API requests. No or an unknown session is 401 "Unauthorized", plain
    text, as Airflow 2's session backend answers; a refused login token is 401 too.

    Args:
        user: The Airflow user (MWAA's `AirflowIdentity`) sessions belong to.
        hostname: The `WebServerHostname` the token's answer names.
    """

    name = "mwaa"
    generations = ("v1",)

    def __init__(self, *, user: str = "admin", hostname: str = "airflow.fake") -> None:
        self.airflow_user = user
        self.hostname = hostname
        self._tokens: dict[str, float] = {}  # web login token -> valid until (fake clock)
        self._sessions: set[str] = set()
        #: Sessions opened so far (tests count logins with it).
        self.logins = 0

    def web_login_token(self, *, identity: str = "assumed-role/Admin/bridge") -> dict[str, str]:
        """A `CreateWebLoginToken` answer for this server (feed it to a boto3 Stubber).

        Args:
            identity: The `IamIdentity` the answer names.

        Returns:
            `WebToken` (valid once, for 60 s of the fake's clock), `WebServerHostname`,
            `IamIdentity` and `AirflowIdentity`, as AWS answers.

        Raises:
            RuntimeError: The scheme is not serving a FakeAirflow yet.
        """
        token = secrets.token_urlsafe(32)
        self._tokens[token] = self._now() + 60
        return {
            "WebToken": token,
            "WebServerHostname": self.hostname,
            "IamIdentity": identity,
            "AirflowIdentity": self.airflow_user,
        }

    def end_sessions(self) -> None:
        """Forget every session (as after the web server restarted)."""
        self._sessions.clear()

    def _routes(self) -> list[Route]:
        return [Route("POST", "/aws_mwaa/login", "mwaa_login", self._login, public=True)]

    def _login(self, call: Call) -> Response:
        token = dict(parse_qsl(call.request.body.decode())).get("token", "")
        if self._tokens.pop(token, float("-inf")) <= self._now():  # unknown, used or expired
            raise _text(401, "Unauthorized")
        session = secrets.token_hex(16)
        self._sessions.add(session)
        self.logins += 1
        cookie = f"session={session}; Secure; HttpOnly; Path=/; SameSite=Lax"
        return Response(302, {"location": "/home", "set-cookie": cookie})

    def _user(self, request: Request) -> str | None:
        cookies = dict(
            part.strip().split("=", 1)
            for part in request.headers.get("cookie", "").split(";")
            if "=" in part
        )
        if cookies.get("session") not in self._sessions:
            raise _text(401, "Unauthorized")
        return self.airflow_user


SCHEMES: dict[str, type[AuthScheme]] = {
    scheme.name: scheme for scheme in (KerberosScheme, GoogleScheme, OAuth2Scheme, MWAAScheme)
}


def scheme_for(auth: str | AuthScheme | None, api: str) -> AuthScheme | None:
    """The scheme `FakeAirflow(auth=...)` names (None, "basic": the generation's own)."""
    if auth is None or auth == "basic":
        return None
    if isinstance(auth, str):
        if auth not in SCHEMES:
            known = ", ".join(sorted(["basic", *SCHEMES]))
            raise ValueError(f"auth must be one of {known} or an AuthScheme, not {auth!r}")
        auth = SCHEMES[auth]()
    if not isinstance(auth, AuthScheme):
        raise ValueError(f"auth must be a scheme name or an AuthScheme, not {auth!r}")
    if api not in auth.generations:
        raise ValueError(
            f"the {auth.name} scheme is an Airflow 2 API auth backend: Airflow 3's API takes "
            "only its own tokens (use a 2.x version, or auth='oauth2' for a gateway)"
        )
    return auth
