"""Loopback stand-ins for the services the auth schemes talk to, on real sockets.

- `TokenEndpoint`: an OAuth2 token endpoint (RFC 6749: client credentials, password and
  refresh grants; Keycloak's answer shape) issuing HS256 JWTs; or, for google-auth, the JWT
  bearer grant of a service account (RFC 7523), answering an ID token or an access token.
- `Gateway`: an Airflow behind a proxy that checks each bearer token with a `verify` callable
  (signature, audience, expiry), then forwards the request to a FakeAirflow 2.10.5 as its
  admin. Tokens can be revoked, so a server-side refusal (401) of a token that has not expired
  can be provoked. Like a managed service, it guards every path, /version included: the
  client's version probe is refused until it is sent with credentials.

Both count what they saw, so tests can assert one login for many requests.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import httpx
import jwt

from airflow_bridge.testing import FakeAirflow

# google-auth signs service-account assertions for Google's endpoint, whatever token_uri says
GOOGLE_AUDIENCE = "https://oauth2.googleapis.com/token"
SIGNING_KEY = "stand-in-signing-key-0123456789abcdef"  # loopback tests only


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        self.server.app.handle(self, "GET")  # type: ignore[attr-defined]

    def do_POST(self) -> None:
        self.server.app.handle(self, "POST")  # type: ignore[attr-defined]

    def do_PATCH(self) -> None:
        self.server.app.handle(self, "PATCH")  # type: ignore[attr-defined]

    def do_DELETE(self) -> None:
        self.server.app.handle(self, "DELETE")  # type: ignore[attr-defined]


class Loopback:
    """Serves `handle` on 127.0.0.1 in a background thread while used as a context manager."""

    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.app = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.statuses: list[int] = []  # the answers to API calls (version probes aside)
        self.probes: list[tuple[str, int]] = []  # the version probes: (path, status)

    def __enter__(self) -> Loopback:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def handle(self, request: _Handler, method: str) -> None:
        raise NotImplementedError

    def record(self, path: str, status: int) -> None:
        """Note an answer: to a version probe, or to an API call."""
        if path.endswith("/version"):
            self.probes.append((path, status))
        else:
            self.statuses.append(status)


class TokenEndpoint(Loopback):
    """An OAuth2 token endpoint at /token. `delay` (seconds) slows each answer, so concurrent
    requests overlap the login and single-flight can be seen."""

    def __init__(
        self,
        *,
        clients: dict[str, str],
        users: dict[str, str] | None = None,
        lifetime: int = 300,
        refresh_lifetime: int | None = 1800,
        audience: str = "airflow",
        delay: float = 0.0,
    ) -> None:
        super().__init__()
        self.clients, self.users = clients, users or {}
        self.lifetime, self.refresh_lifetime = lifetime, refresh_lifetime
        self.audience, self.delay = audience, delay
        self.token_url = f"{self.url}/token"
        self.grants: list[str] = []  # grant_type of every successful answer
        self.refused: list[str] = []
        self.forms: list[dict[str, str]] = []
        self._refresh_tokens: set[str] = set()
        self._lock = threading.Lock()

    def _client(self, request: _Handler, form: dict[str, str]) -> str | None:
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        return client_id if self.clients.get(client_id) == secret else None

    def handle(self, request: _Handler, method: str) -> None:
        form = {k: v[0] for k, v in parse_qs(request._body().decode()).items()}
        time.sleep(self.delay)
        with self._lock:
            self.forms.append(form)
            client = self._client(request, form)
            grant = form.get("grant_type", "")
            if client is None:
                self.refused.append(grant)
                return request._reply(
                    401,
                    {"error": "invalid_client", "error_description": "Invalid client credentials"},
                )
            if grant == "password":
                user = form.get("username", "")
                if self.users.get(user) != form.get("password"):
                    self.refused.append(grant)
                    return request._reply(
                        401,
                        {"error": "invalid_grant", "error_description": "Invalid user credentials"},
                    )
                subject = user
            elif grant == "refresh_token":
                if form.get("refresh_token") not in self._refresh_tokens:
                    self.refused.append(grant)
                    return request._reply(
                        400, {"error": "invalid_grant", "error_description": "Token is not active"}
                    )
                self._refresh_tokens.discard(form["refresh_token"])  # rotated, as Keycloak can
                subject = "refreshed"
            elif grant == "client_credentials":
                subject = f"service-account-{client}"
            else:
                return request._reply(400, {"error": "unsupported_grant_type"})
            self.grants.append(grant)
            now = int(time.time())
            claims = {
                "sub": subject,
                "aud": self.audience,
                "iat": now,
                "exp": now + self.lifetime,
                "jti": uuid.uuid4().hex,
            }
            answer: dict[str, Any] = {
                "access_token": jwt.encode(claims, SIGNING_KEY, algorithm="HS256"),
                "token_type": "Bearer",
                "expires_in": self.lifetime,
            }
            if grant != "client_credentials" and self.refresh_lifetime is not None:
                refresh = uuid.uuid4().hex
                self._refresh_tokens.add(refresh)
                answer |= {"refresh_token": refresh, "refresh_expires_in": self.refresh_lifetime}
            request._reply(200, answer)


def verify_hs256(audience: str = "airflow") -> Callable[[str], dict[str, Any]]:
    """A Gateway check for TokenEndpoint's tokens: signature, audience, expiry."""

    def verify(token: str) -> dict[str, Any]:
        claims: dict[str, Any] = jwt.decode(
            token, SIGNING_KEY, algorithms=["HS256"], audience=audience
        )
        return claims

    return verify


class Gateway(Loopback):
    """An Airflow 2.10.5 (the fake) behind a proxy that verifies bearer tokens."""

    def __init__(self, verify: Callable[[str], dict[str, Any]]) -> None:
        super().__init__()
        self.verify = verify
        self.fake = FakeAirflow("2.10.5")
        self._transport = self.fake.transport()
        self.tokens: list[str] = []
        self.revoked: set[str] = set()
        self._lock = threading.Lock()

    def revoke(self) -> None:
        """Refuse every token seen so far, although unexpired (as after a key rotation)."""
        self.revoked |= set(self.tokens)

    def _check(self, header: str) -> bool:
        if not header.startswith("Bearer ") or header[7:] in self.revoked:
            return False
        try:
            self.verify(header[7:])
        except Exception:
            return False
        return True

    def handle(self, request: _Handler, method: str) -> None:
        body = request._body()
        header = request.headers.get("Authorization", "")
        with self._lock:
            if header:
                self.tokens.append(header[7:])
            if not self._check(header):
                self.record(request.path, 401)
                return request._reply(
                    401, {"title": "Unauthorized", "status": 401}, {"WWW-Authenticate": "Bearer"}
                )
            upstream = httpx.Request(
                method,
                self.fake.base_url + request.path,
                content=body,
                headers={
                    "Content-Type": request.headers.get("Content-Type", "application/json"),
                    "Authorization": "Basic " + base64.b64encode(b"admin:admin").decode(),
                },
            )
            response = self._transport.handle_request(upstream)
            response.read()
            self.record(request.path, response.status_code)
        request._reply(response.status_code, response.content)


@contextmanager
def serving(*servers: Loopback) -> Iterator[None]:
    for server in servers:
        server.__enter__()
    try:
        yield
    finally:
        for server in servers:
            server.__exit__(None, None, None)


class GoogleTokenEndpoint(Loopback):
    """Google's OAuth2 token endpoint for service accounts (the JWT bearer grant, RFC 7523):
    verifies the assertion google-auth signed with the service account's key, then answers an
    RS256 ID token for the assertion's `target_audience`, or an opaque access token for its
    `scope`. `service_account_info()` is a key file whose token_uri points here."""

    def __init__(
        self, *, lifetime: int = 3600, mint_id_token: Callable[[str, str], str] | None = None
    ) -> None:
        """`mint_id_token(email, audience)`: issue ID tokens with another signer (a
        FakeAirflow's `GoogleScheme.mint`) instead of this endpoint's RSA key."""
        super().__init__()
        self.mint_id_token = mint_id_token
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        def pem_pair() -> tuple[str, str]:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            private = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ).decode()
            public = (
                key.public_key()
                .public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
                .decode()
            )
            return private, public

        self.sa_private, self.sa_public = pem_pair()
        self.google_private, self.google_public = pem_pair()
        self.lifetime = lifetime
        self.token_uri = f"{self.url}/token"
        self.email = "bridge@airflow-bridge-test.iam.gserviceaccount.com"
        self.assertions: list[dict[str, Any]] = []
        self.access_tokens: set[str] = set()
        self.refuse = False
        self._lock = threading.Lock()

    def service_account_info(self) -> dict[str, str]:
        return {
            "type": "service_account",
            "project_id": "airflow-bridge-test",
            "private_key_id": "sa-key-1",
            "private_key": self.sa_private,
            "client_email": self.email,
            "client_id": "1234567890",
            "token_uri": self.token_uri,
        }

    def handle(self, request: _Handler, method: str) -> None:
        form = {k: v[0] for k, v in parse_qs(request._body().decode()).items()}
        with self._lock:
            if self.refuse:
                return request._reply(
                    400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
                )
            assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
            claims = jwt.decode(
                form["assertion"], self.sa_public, algorithms=["RS256"], audience=GOOGLE_AUDIENCE
            )
            assert claims["iss"] == self.email
            self.assertions.append(claims)
            now = int(time.time())
            if "target_audience" in claims and self.mint_id_token is not None:
                return request._reply(
                    200, {"id_token": self.mint_id_token(self.email, claims["target_audience"])}
                )
            if "target_audience" in claims:
                id_token = jwt.encode(
                    {
                        "iss": "https://accounts.google.com",
                        "aud": claims["target_audience"],
                        "sub": "1234567890",
                        "email": self.email,
                        "iat": now,
                        "exp": now + self.lifetime,
                    },
                    self.google_private,
                    algorithm="RS256",
                    headers={"kid": "google-1"},
                )
                return request._reply(200, {"id_token": id_token})
            token = f"ya29.{uuid.uuid4().hex}"
            self.access_tokens.add(token)
            request._reply(
                200, {"access_token": token, "expires_in": self.lifetime, "token_type": "Bearer"}
            )

    def verify_id_token(self, audience: str) -> Callable[[str], dict[str, Any]]:
        """The gateway's check of an ID token with google-auth's own verifier: signature
        (the issuing key), audience and expiry."""
        from google.auth import jwt as google_jwt

        def verify(token: str) -> dict[str, Any]:
            claims: dict[str, Any] = google_jwt.decode(
                token, certs={"google-1": self.google_public}, audience=audience
            )
            return claims

        return verify

    def verify_access_token(self, token: str) -> dict[str, Any]:
        if token not in self.access_tokens:
            raise ValueError("unknown access token")
        return {}
