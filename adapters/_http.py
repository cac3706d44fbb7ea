"""What adapters exchange with the facade: request descriptions out, server replies in.

Also the one translation of a non-2xx reply into a typed error, shared by both generations:
the message is found in RFC 7807 (`detail`/`title`), FastAPI (`detail` as text, object or
validation list), Airflow 3's `{"error": ...}` for removed paths, or an HTML page's title.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from airflow_bridge.errors import ApiError, InvalidResponse, error_class

Params = tuple[tuple[str, str], ...]


@attrs.frozen
class ApiRequest:
    """One HTTP request, described: path is relative to the server root and already encoded."""

    method: str
    path: str
    params: Params = ()
    json: Any = None


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

    def json(self) -> Any:
        """The decoded JSON body; InvalidResponse when a success body is not JSON."""
        try:
            return json.loads(self.content)
        except ValueError as exc:
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
    body = json_or_text(reply)
    chosen = classify(reply) if classify else error_class(reply.status)
    raise chosen(
        error_message(body) or f"HTTP {reply.status}",
        status=reply.status,
        method=reply.method,
        url=reply.url,
        body=body,
    )


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
        for key in ("message", "reason", "msg"):
            if detail.get(key):
                return str(detail[key])
    return json.dumps(detail)


def _validation_item(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    location = [str(part) for part in item.get("loc", ()) if part not in ("body", "query")]
    where = ".".join(location)
    message = str(item.get("msg", item))
    return f"{where}: {message}" if where else message


def _html_message(text: str) -> str:
    title = re.search(r"<title>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    if title:
        return " ".join(title.group(1).split())
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())[:200]


def json_or_text(reply: Reply) -> Any:
    """The body as JSON when it is JSON, else as text (error pages are often HTML)."""
    try:
        return json.loads(reply.content)
    except ValueError:
        return reply.text()


def _preview(content: bytes) -> str:
    return content[:120].decode("utf-8", errors="replace")
