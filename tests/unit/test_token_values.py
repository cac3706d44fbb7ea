"""Credentials that cannot go on the wire are refused before anything carries them, typed
(`InvalidArgument`), saying what is wrong and never showing the value; a transport failure's
message never carries a request header's value.

Seen on live 2.10.5 and 3.3.2 before the fix: `token=tok + "\\n"` was a `TransportError`
("Illegal header value b'Bearer <the token>\\n'") after four attempts, and `token=""` one
("Illegal header value b'Bearer '").
"""

from __future__ import annotations

import re
import socket
import warnings
from collections.abc import Callable, Iterator

import anyio
import httpx
import pytest

from airflow_bridge import AsyncClient, Client
from airflow_bridge.auth import Credential, CredentialsUnavailable, TokenProvider
from airflow_bridge.errors import (
    AuthenticationError,
    InsecureCredentialsWarning,
    InvalidArgument,
    TransportError,
)
from airflow_bridge.testing import FakeAirflow

SECRET = "eyJSECRET.c2VjcmV0.tok-9f3c"
VERSIONS = ["2.10.5", "3.3.2"]

#: (the bad token, words its refusal must contain)
BAD_TOKENS = [
    (SECRET + "\n", "ends with a newline: strip it"),
    (SECRET + "\r\n", "ends with a newline: strip it"),
    (SECRET + "\r", "ends with a carriage return: strip it"),
    (" " + SECRET, "starts with whitespace: strip it"),
    (SECRET + "\t", "ends with whitespace: strip it"),
    (SECRET[:9] + "\n" + SECRET[9:], "contains a line break"),
    (SECRET[:9] + "\x00" + SECRET[9:], "control character (U+0000)"),
    (SECRET[:9] + "\x01" + SECRET[9:], "control character (U+0001)"),
    (SECRET[:9] + "\x7f" + SECRET[9:], "control character (U+007F)"),
    (SECRET[:9] + "é" + SECRET[9:], "not ASCII"),
    (SECRET[:9] + "€" + SECRET[9:], "not ASCII"),
]


def shown(error: BaseException) -> str:
    """Everything an exception shows: str, repr, args, and the same of its chain."""
    parts = []
    seen: BaseException | None = error
    while seen is not None:
        parts += [str(seen), repr(seen), repr(seen.args)]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


def secret_in(text: str) -> bool:
    return SECRET[:9] in text or SECRET[9:] in text


@pytest.fixture(params=VERSIONS)
def fake(request: pytest.FixtureRequest) -> FakeAirflow:
    return FakeAirflow(request.param)


@pytest.mark.parametrize(("token", "words"), BAD_TOKENS)
def test_a_str_token_no_header_can_carry_is_refused_at_construction(token: str, words: str) -> None:
    with pytest.raises(InvalidArgument, match=re.escape(words)) as caught:
        Client("http://127.0.0.1:9", token=token)
    assert str(caught.value).startswith("the token ")
    assert not secret_in(shown(caught.value))


def test_an_empty_token_is_refused_at_construction_on_fakes_of_both_generations(
    fake: FakeAirflow,
) -> None:
    with pytest.raises(InvalidArgument, match="the token is empty: pass the token itself"):
        Client(fake.base_url, token="", transport=fake.transport())
    assert fake.requests == []


@pytest.mark.parametrize(("token", "words"), BAD_TOKENS)
def test_a_callable_returning_a_bad_token_is_refused_once_and_nothing_carries_it(
    fake: FakeAirflow, token: str, words: str
) -> None:
    calls = []

    def source() -> str:
        calls.append(1)
        return token

    with (
        Client(fake.base_url, token=source, transport=fake.transport()) as client,
        pytest.raises(InvalidArgument, match=re.escape(words)) as caught,
    ):
        client.dag_runs.count("bridge_plain")
    assert calls == [1]  # asked once: never retried
    assert "the token provider (" in str(caught.value)
    assert not secret_in(shown(caught.value))
    assert all("authorization" not in request.headers for request in fake.requests)


@pytest.mark.parametrize(
    "source",
    [
        lambda: SECRET + "\r",
        lambda: Credential(SECRET + "\n", expires_at=None),
    ],
    ids=["str", "Credential"],
)
def test_async_a_token_provider_returning_a_bad_token_is_refused_and_nothing_carries_it(
    fake: FakeAirflow, source: Callable[[], str | Credential]
) -> None:
    provider = TokenProvider(source, name="vault")

    async def main() -> None:
        async with AsyncClient(
            fake.base_url, token=provider, transport=fake.async_transport()
        ) as client:
            with pytest.raises(InvalidArgument, match=r"token provider \(vault\)") as caught:
                await client.dag_runs.count("bridge_plain")
        assert not secret_in(shown(caught.value))

    anyio.run(main)
    assert provider.acquisitions == 0
    assert all("authorization" not in request.headers for request in fake.requests)


def test_a_callable_returning_an_empty_token_stays_credentials_unavailable(
    fake: FakeAirflow,
) -> None:
    with (
        Client(fake.base_url, token=lambda: "", transport=fake.transport()) as client,
        pytest.raises(CredentialsUnavailable, match=r"returned str \(empty\), not a token"),
    ):
        client.dag_runs.count("bridge_plain")


def test_a_token_of_the_wrong_type_is_named_by_its_type_only() -> None:
    with pytest.raises(InvalidArgument, match=r"not bytes$") as caught:
        Client("http://127.0.0.1:9", token=b"SECRETTOK")  # type: ignore[arg-type]
    assert "SECRETTOK" not in shown(caught.value)
    with pytest.raises(InvalidArgument, match=r"not bytes$") as caught:
        TokenProvider(b"SECRETTOK")  # type: ignore[arg-type]
    assert "SECRETTOK" not in shown(caught.value)


def test_a_password_with_a_lone_surrogate_is_refused_at_construction() -> None:
    with pytest.raises(InvalidArgument, match="password contains a lone surrogate") as caught:
        Client("http://127.0.0.1:9", username="admin", password="pw\udcff")
    assert "pw" not in str(caught.value)


@pytest.mark.parametrize(("password", "hint"), [("admin\n", "the password given starts")])
def test_a_refused_password_that_ends_with_a_newline_says_strip_it(
    fake: FakeAirflow, password: str, hint: str
) -> None:
    # a newline is fine inside Basic's base64 and Airflow 3's JSON login body: the server
    # refuses the password, and the advice says why
    with (
        Client(
            fake.base_url, username="admin", password=password, transport=fake.transport()
        ) as client,
        pytest.raises(AuthenticationError, match=f"{hint} or ends with whitespace"),
    ):
        client.dag_runs.count("bridge_plain")


def test_a_header_value_no_header_can_carry_is_refused_naming_the_header_only() -> None:
    with pytest.raises(InvalidArgument, match="header 'X-Api-Key' ends with a newline") as caught:
        Client("http://127.0.0.1:9", headers={"X-Api-Key": SECRET + "\n"})
    assert not secret_in(shown(caught.value))


def test_the_warning_for_empty_username_and_password_names_them_not_a_token() -> None:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        Client("http://example.com", username="", password="")
    messages = [str(w.message) for w in seen if w.category is InsecureCredentialsWarning]
    assert len(messages) == 1 and messages[0].startswith("username/password would be sent")


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A loopback socket that accepts connections and never answers: h11 checks the request
    headers before sending them, so a bad one fails there."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


@pytest.mark.parametrize("header", ["Authorization", "X-Api-Key"])
def test_a_transport_error_from_a_refused_header_value_does_not_show_it(
    silent_server: str, header: str
) -> None:
    # a header set past the checks (an event hook of the user's own httpx client) reaches
    # h11, which refuses it quoting the value: "Illegal header value b'...'"
    def add(request: httpx.Request) -> None:
        request.headers[header] = f"Bearer {SECRET}\n"

    with (
        httpx.Client(event_hooks={"request": [add]}, timeout=2) as http,
        Client(silent_server, http_client=http, api="v2", retries=0) as client,
        pytest.raises(TransportError, match=r"Illegal header value \[redacted\]") as caught,
    ):
        client.dag_runs.count("bridge_plain")
    assert not secret_in(shown(caught.value))
