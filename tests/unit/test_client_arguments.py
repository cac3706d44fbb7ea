"""The clients' constructor arguments: refused before anything is sent, never silently ignored;
and the async client's `server`, awaited (issue 10)."""

from __future__ import annotations

import ssl
from typing import Any

import anyio
import httpx
import pytest

from airflow_bridge import AsyncClient, Client
from airflow_bridge.errors import ClientClosed, InvalidArgument
from airflow_bridge.testing import FakeAirflow

URL = "http://airflow:8080"


def refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"nothing may be sent, but {request.method} {request.url} was")


@pytest.mark.parametrize(
    "given",
    [
        {"timeout": 5.0},
        {"verify": False},
        {"headers": {"X-Team": "data"}},
        {"transport": httpx.MockTransport(refuse)},
    ],
    ids=lambda given: next(iter(given)),
)
def test_http_client_with_an_option_it_would_ignore_is_refused(given: dict[str, Any]) -> None:
    name = next(iter(given))
    with (
        httpx.Client(transport=httpx.MockTransport(refuse)) as http,
        pytest.raises(InvalidArgument, match=f"{name} would be ignored"),
    ):
        Client(URL, http_client=http, **given)


def test_async_http_client_with_an_option_it_would_ignore_is_refused() -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    with pytest.raises(InvalidArgument, match="timeout, headers would be ignored"):
        AsyncClient(URL, http_client=http, timeout=1, headers={"X": "y"})


def test_http_client_alone_is_used_as_given() -> None:
    fake = FakeAirflow("3.3.2")
    with httpx.Client(transport=fake.transport()) as http:
        client = Client(URL, username="admin", password="admin", http_client=http)
        assert client.server.api == "v2"
        client.close()
        assert not http.is_closed  # the caller's client stays open


def test_verify_as_a_path_is_refused_with_how_to_make_a_context() -> None:
    with pytest.raises(InvalidArgument) as caught:
        Client(URL, verify="/etc/ssl/ca.pem")  # type: ignore[arg-type]  # the point
    assert "ssl.create_default_context(cafile='/etc/ssl/ca.pem')" in str(caught.value)


def test_verify_takes_an_ssl_context_without_a_warning() -> None:
    # pytest runs with warnings as errors: httpx's deprecation of the string form would fail
    fake = FakeAirflow("2.10.5")
    context = ssl.create_default_context()
    with Client(URL, verify=context, transport=fake.transport()) as client:
        assert client.server.api == "v1"


def test_unknown_api_is_refused() -> None:
    with pytest.raises(InvalidArgument, match="'auto', 'v1' or 'v2'"):
        Client(URL, api="v3")  # type: ignore[arg-type]  # the point


@pytest.mark.parametrize("version", ["2.10.5", "3.3.2"])
def test_async_server_is_awaited_like_the_sync_property(version: str) -> None:
    fake = FakeAirflow(version)

    async def main() -> tuple[str, str | None, str, str | None]:
        async with AsyncClient(URL, transport=fake.async_transport()) as client:
            info = await client.server
            again = await client.server_info()
            return info.api, info.version, again.api, again.version

    with Client(URL, transport=fake.transport()) as client:
        sync = client.server
    assert anyio.run(main) == (sync.api, sync.version, sync.api, sync.version)


@pytest.mark.parametrize("timeout", [-1, 0, "abc", True, float("nan")])
def test_a_timeout_that_is_not_a_positive_number_is_refused(timeout: object) -> None:
    for cls in (Client, AsyncClient):
        with pytest.raises(InvalidArgument, match="timeout must be"):
            cls(URL, timeout=timeout)  # type: ignore[arg-type]  # the point


def test_a_password_that_is_not_a_str_is_refused_before_anything_is_sent() -> None:
    with pytest.raises(InvalidArgument, match="password must be a str"):
        Client(URL, username="admin", password=123)  # type: ignore[arg-type]  # the point


def test_a_half_built_client_has_a_repr() -> None:
    # traceback tools call repr() on the frame's locals, `self` included
    import traceback

    with pytest.raises(InvalidArgument) as caught:
        Client(URL, api="v3")  # type: ignore[arg-type]  # the point
    text = "".join(
        traceback.TracebackException.from_exception(caught.value, capture_locals=True).format()
    )
    assert "Client(<not constructed>)" in text


@pytest.mark.parametrize("version", ["2.10.5", "3.3.2"])
def test_a_closed_client_says_so(version: str) -> None:
    fake = FakeAirflow(version)
    client = Client(URL, username="admin", password="admin", transport=fake.transport())
    client.close()
    with pytest.raises(ClientClosed, match="closed"):
        client.dag_runs.count("bridge_plain")
