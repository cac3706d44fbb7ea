"""A transport-neutral request and response, so one handler serves httpx and the socket server.

Also the small routing table both API generations use: Flask and Starlette both decode `%2F`
before matching, match the path first and answer 405 when only the method is wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

JSON = "application/json"
HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Request:
    method: str
    raw_path: str  # as sent: still percent-encoded, no query string
    query: Sequence[tuple[str, str]] = ()  # decoded pairs, in order, repeats kept
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""

    @property
    def path(self) -> str:
        return unquote(self.raw_path)

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.query if key == name]

    def last(self, name: str) -> str | None:
        found = self.values(name)
        return found[-1] if found else None


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    stream: Iterator[bytes] | None = None  # a body produced while it is sent (NDJSON)


class Abort(Exception):
    """Raised by a handler to answer with `response` at once (errors, mostly)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def json_response(
    status: int, body: Any, *, content_type: str = JSON, sort_keys: bool = False
) -> Response:
    text = json.dumps(body, sort_keys=sort_keys)
    return Response(status, {"content-type": content_type}, text.encode())


def html_response(status: int, page: str) -> Response:
    return Response(status, {"content-type": HTML}, page.encode())


@dataclass(frozen=True)
class Call:
    """What a handler gets: the request, its path parameters and the authenticated user."""

    request: Request
    params: Mapping[str, str]
    user: str | None


Handler = Callable[[Call], Response]


@dataclass(frozen=True)
class Route:
    """One endpoint. `name` is the generation-neutral operation name faults can target."""

    method: str
    template: str
    name: str
    handler: Handler
    public: bool = False  # no credentials needed
    write: bool = False  # refused to read-only roles

    @property
    def pattern(self) -> re.Pattern[str]:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.template))
        return re.compile(f"^{regex}$")

    @property
    def static_segments(self) -> int:
        return sum(1 for part in self.template.split("/") if part and "{" not in part)


@dataclass(frozen=True)
class Match:
    route: Route
    params: dict[str, str]


class Router:
    """Finds the route for a decoded path; `allowed()` says which methods the path has."""

    def __init__(self, routes: Sequence[Route]) -> None:
        self._routes = [(route, route.pattern) for route in routes]

    def _matching(self, path: str) -> list[Match]:
        found = []
        for route, pattern in self._routes:
            hit = pattern.match(path)
            if hit:
                found.append(Match(route, hit.groupdict()))
        return found

    def find(self, method: str, path: str) -> Match | None:
        candidates = [m for m in self._matching(path) if m.route.method == method]
        if not candidates:
            return None
        return max(candidates, key=lambda m: m.route.static_segments)

    def allowed(self, path: str) -> list[str]:
        return sorted({m.route.method for m in self._matching(path)})
