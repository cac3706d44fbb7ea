"""What adapters exchange with the facade: request descriptions out, server replies in.

Also the one translation of a non-2xx reply into a typed error, shared by both generations:
the message is found in RFC 7807 (`detail`/`title`), FastAPI (`detail` as text, object or
validation list), Airflow 3's `{"error": ...}` for removed paths, or an HTML page's title.
A redirect (which no Airflow API answers by itself: a proxy in front does) says where it points
and which base URL to use instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import attrs

from airflow_bridge.errors import ApiError, InvalidResponse, Redirected, error_class

Params = tuple[tuple[str, str], ...]


@attrs.frozen
class ApiRequest:
    """One HTTP request, described: path is relative to the server root and already encoded."""

    method: str
    path: str
    params: Params = ()
    json: Any = None
    #: Request headers beyond the client's own (e.g. Accept for a task's log).
    headers: Params = ()


@attrs.frozen
class Reply:
    """A server's answer as adapters see it."""

    status: int
    headers: Mapping[str, str]
    content: bytes
    method: str = "GET"
    url: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self, decode: Callable[[bytes], Any] = json.loads) -> Any:
        """The body decoded by `decode` (`json.loads`, or one that builds models as it
        goes); InvalidResponse when a success body is not JSON."""
        try:
            return decode(self.content)
        except (ValueError, RecursionError) as exc:  # RecursionError: nested too deep
            raise InvalidResponse(
                f"expected JSON, got {_preview(self.content)!r}",
                method=self.method,
                url=self.url,
                body=self.text(),
            ) from exc

    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


def check(reply: Reply, classify: Callable[[Reply], type[ApiError]] | None = None) -> Reply:
    """Raise the typed ApiError for a non-2xx reply; return the reply otherwise.

    `classify` picks the error class when the status alone does not tell (an adapter's say).
    """
    if reply.ok:
        return reply
    moved = redirected(reply)
    if moved is not None:
        raise moved
    body = json_or_text(reply)
    chosen = classify(reply) if classify else error_class(reply.status)
    raise chosen(
        _short(error_message(body)) or f"HTTP {reply.status}",
        status=reply.status,
        method=reply.method,
        url=reply.url,
        body=body,
        headers=reply.headers,
    )


def redirected(reply: Reply) -> Redirected | None:
    """The error for a 3xx reply with a Location: where it points, and the base URL to use
    when the target is the same path elsewhere (http -> https, another host or prefix)."""
    location = reply.headers.get("location")
    if not 300 <= reply.status < 400 or not location:
        return None
    target = urljoin(reply.url, location)
    base = _moved_base(reply.url, target)
    if base is not None:
        advice = f"use base_url={base!r}"
    else:
        advice = (
            "it does not lead to the same API path (a login page or a proxy rule?); "
            "point base_url at the Airflow API server itself"
        )
    return Redirected(
        f"redirected to {target}; {advice} (redirects are not followed, so requests and "
        "credentials go only where you point them)",
        location=target,
        status=reply.status,
        method=reply.method,
        url=reply.url,
        headers=reply.headers,
    )


def _moved_base(source: str, target: str) -> str | None:
    """The target's base URL when it ends with the same API path as the source, e.g.
    http://h/api/v2/version -> https://h/x/api/v2/version gives https://h/x."""
    old, new = urlsplit(source), urlsplit(target)
    if old.path == new.path and old.netloc == new.netloc and old.scheme == new.scheme:
        return None  # redirected to itself (a loop, or a changed query only)
    api = old.path.find("/api/")
    if api < 0:
        api = old.path.find("/auth/")
    if api < 0 or not new.path.endswith(old.path[api:]):
        return None
    prefix = new.path[: len(new.path) - len(old.path[api:])]
    return urlunsplit((new.scheme, new.netloc, prefix, "", ""))


def error_message(body: Any) -> str:
    """A readable one-line message from any error body shape Airflow sends."""
    if isinstance(body, str):
        return _html_message(body)
    if not isinstance(body, dict):
        return ""
    for key in ("detail", "title", "error", "message"):
        value = body.get(key)
        if value:
            return " ".join(_detail_message(value).split())  # one line, whatever was sent
    return ""


def _detail_message(detail: Any) -> str:
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):  # FastAPI validation errors
        return "; ".join(_validation_item(item) for item in detail)
    if isinstance(detail, dict):  # e.g. Airflow 3's 409 {"reason": ..., "message": ...}
        said = [str(detail[key]) for key in ("reason", "message", "msg") if detail.get(key)]
        if said:  # 3.3.2's message alone is "Serious error ... look for ID ..."
            return ": ".join(said)
    return json.dumps(detail)


def _validation_item(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    location = [str(part) for part in item.get("loc", ()) if part not in ("body", "query")]
    where = ".".join(location)
    message = str(item.get("msg", item))
    return f"{where}: {message}" if where else message


def _html_message(text: str) -> str:
    head = text[:_SCANNED]  # a page's title is near its top; never scan an enormous body
    title = re.search(r"<title>(.*?)</title>", head, re.IGNORECASE | re.DOTALL)
    if title:
        return " ".join(title.group(1).split())
    return " ".join(re.sub(r"<[^>]+>", " ", head).split())[:200]


#: Characters of an error body searched for its message, and the most a message keeps.
_SCANNED = 65_536
MESSAGE_MAX = 500


def _short(message: str) -> str:
    """The message, cut to MESSAGE_MAX characters (a 10 MB `detail` stays in `.body`)."""
    if len(message) <= MESSAGE_MAX:
        return message
    return f"{message[: MESSAGE_MAX - 30]}... ({len(message):,} characters)"


def json_or_text(reply: Reply) -> Any:
    """The body as JSON when it is JSON, else as text (error pages are often HTML)."""
    try:
        return json.loads(reply.content)
    except (ValueError, RecursionError):  # RecursionError: nested too deep
        return reply.text()


def _preview(content: bytes) -> str:
    return content[:120].decode("utf-8", errors="replace")
