"""HS512 JSON Web Tokens as Airflow 3's API server issues and checks them (stdlib only).

Real signatures and an `exp` claim, so clients that decode the token (to refresh before
expiry) and tests that move the clock past `exp` see what a real server would do.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

AUDIENCE = "apache-airflow"
_HEADER = {"alg": "HS512", "kid": "not-used", "typ": "JWT"}


class InvalidToken(Exception):
    """Not a token this server signed (bad shape, signature, audience or not yet valid)."""


class ExpiredToken(Exception):
    """A genuine token whose `exp` has passed."""


def _encode_part(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode_part(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _sign(secret: bytes, signing_input: str) -> str:
    digest = hmac.new(secret, signing_input.encode(), hashlib.sha512).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue(secret: bytes, *, subject: str, role: str, now: float, lifetime: float) -> str:
    """A token for `subject`, valid from `now` for `lifetime` seconds."""
    issued = int(now)
    claims = {
        "sub": subject,
        "role": role,
        "teams": [],
        "jti": secrets.token_hex(16),
        "aud": AUDIENCE,
        "nbf": issued,
        "exp": int(now + lifetime),
        "iat": issued,
    }
    signing_input = f"{_encode_part(_HEADER)}.{_encode_part(claims)}"
    return f"{signing_input}.{_sign(secret, signing_input)}"


def verify(secret: bytes, token: str, *, now: float) -> dict[str, Any]:
    """The claims of a valid token; InvalidToken or ExpiredToken otherwise."""
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("not a JWT")
    signing_input = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(_sign(secret, signing_input), parts[2]):
        raise InvalidToken("bad signature")
    try:
        header = json.loads(_decode_part(parts[0]))
        claims = json.loads(_decode_part(parts[1]))
    except ValueError as exc:
        raise InvalidToken("undecodable") from exc
    if not isinstance(header, dict) or header.get("alg") != "HS512" or not isinstance(claims, dict):
        raise InvalidToken("unexpected header or claims")
    if claims.get("aud") != AUDIENCE or not isinstance(claims.get("sub"), str):
        raise InvalidToken("wrong audience or subject")
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if not isinstance(exp, int) or not isinstance(nbf, int):
        raise InvalidToken("no exp or nbf")
    if now >= exp:
        raise ExpiredToken("expired")
    if now < nbf:
        raise InvalidToken("not yet valid")
    return claims
