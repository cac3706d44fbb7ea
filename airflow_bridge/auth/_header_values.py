"""What an HTTP header value can hold: the rules a token (and a user's `headers=`) is checked
against before anything is sent, so that a bad value is a clear InvalidArgument rather than a
transport error quoting it. Here, in `airflow_bridge.auth`, because the clients and the auth
schemes (a `TokenProvider`'s callable) both check tokens with it.
"""

from __future__ import annotations

import re


def token_problem(token: str) -> str | None:
    """Why `token` cannot be an HTTP header value (h11 refuses line breaks, NUL and
    surrounding whitespace; httpx encodes header values as ASCII; other control characters
    are not HTTP field content either), or None. Words only: never the token's characters."""
    if not token:
        return "is empty: pass the token itself, or leave token= out to send none"
    return header_value_problem(token)


def header_value_problem(value: str) -> str | None:
    """Why `value` cannot be sent as an HTTP header value, or None (empty is allowed)."""
    if not value:
        return None
    if value[-1] in "\r\n":
        name = "a newline" if value[-1] == "\n" else "a carriage return"
        return f"ends with {name}: strip it (as read from a file?)"
    if value != value.strip():
        return f"{'starts' if value[0].isspace() else 'ends'} with whitespace: strip it"
    if "\n" in value or "\r" in value:
        return "contains a line break: pass it on one line"
    control = _CONTROL.search(value)
    if control is not None:
        return f"contains a control character (U+{ord(control.group()):04X}): remove it"
    if not value.isascii():
        return (
            "contains a character that is not ASCII, which an HTTP header cannot carry: "
            "check that it was copied whole and unchanged"
        )
    return None


#: C0 controls and DEL except the tab (HTTP allows a tab inside a header value).
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
