"""What both API generations share: routing, users and roles, version gates, run lookup.

A generation subclass declares its routes and how it words errors; the order in which it
checks things (validation before or after authentication, say) is its own `dispatch`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

from airflow_bridge.testing._http import Abort, Call, Match, Request, Response, Route, Router
from airflow_bridge.testing._state import Run, Store

Version = tuple[int, ...]
READ_ONLY_ROLES = frozenset({"viewer"})
NO_BODY = object()  # json_body() of an empty request


def parse_version(text: str) -> Version:
    return tuple(int(part) for part in text.split("."))


def git_version(version: str) -> str:
    """A stable stand-in for the release's git hash."""
    return ".release:" + hashlib.sha1(version.encode()).hexdigest()


class Api(ABC):
    """One API generation over a store."""

    prefix: str

    def __init__(
        self,
        store: Store,
        *,
        version: str,
        users: Mapping[str, str],
        roles: Mapping[str, str],
    ) -> None:
        self.store = store
        self.version = version
        self.version_info = parse_version(version)
        self.users = dict(users)
        self.roles = dict(roles)
        self.router = Router([r for r in self.routes() if self.has_route(r)])

    # -- declared by each generation -----------------------------------------------------

    @abstractmethod
    def routes(self) -> Sequence[Route]:
        """Every endpoint of the generation's newest release."""

    def has_route(self, route: Route) -> bool:
        """Whether this release has the endpoint (older releases lack some)."""
        return True

    @abstractmethod
    def dispatch(self, match: Match, request: Request) -> Response:
        """Authenticate, validate and call the route's handler, in this generation's order."""

    @abstractmethod
    def no_route(self, request: Request) -> Response:
        """The answer for a path (or method) the server does not serve."""

    @abstractmethod
    def error(self, status: int, message: str) -> Response:
        """An error in this generation's usual shape (used for injected faults)."""

    # -- shared ----------------------------------------------------------------------------

    def at_least(self, version: str) -> bool:
        return self.version_info >= parse_version(version)

    def operation(self, request: Request) -> str | None:
        match = self.router.find(request.method, request.path)
        return match.route.name if match else None

    def handle(self, request: Request) -> Response:
        match = self.router.find(request.method, request.path)
        try:
            if match is None:
                return self.no_route(request)
            return self.dispatch(match, request)
        except Abort as abort:
            return abort.response

    def call(self, match: Match, request: Request, user: str | None) -> Response:
        role = None if user is None else self.roles.get(user, "admin")
        return match.route.handler(Call(request, match.params, user, role))

    def may_write(self, user: str) -> bool:
        return self.roles.get(user, "admin") not in READ_ONLY_ROLES

    def basic_user(self, request: Request) -> str | None:
        """The user whose HTTP Basic credentials are right, else None."""
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user if self.users.get(user) == password else None

    def run_or_none(self, call: Call) -> Run | None:
        return self.store.run(call.params["dag_id"], call.params["dag_run_id"])


def json_body(request: Request) -> Any:
    """The decoded JSON body; `NO_BODY` when empty; ValueError when not JSON."""
    if not request.body.strip():
        return NO_BODY
    return json.loads(request.body)
