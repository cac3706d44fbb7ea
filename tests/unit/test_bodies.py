"""Issue 11: broken answers are typed errors with a short message, for every operation.

A 2xx body that is HTML, empty, truncated, not UTF-8, JSON of the wrong shape or enormous is
`InvalidResponse`; the same bodies on a 5xx are `ServerError`. Never a KeyError, a hang or
unbounded memory: `BodyLimit` stops reading an answer past its bound while it streams in
(gzip bombs included). Scripted transports give each answer; FakeAirflow's fault injection
gives a proxy's HTML error pages for every operation on both generations.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from mockserver import V1_VERSION, V2_VERSION, make_jwt

from airflow_bridge import AsyncClient, Client
from airflow_bridge._body_limit import DEFAULT_MAX_BODY, BodyLimit
from airflow_bridge._client import http_options
from airflow_bridge.errors import (
    InvalidArgument,
    InvalidResponse,
    ServerError,
    TransportError,
)
from airflow_bridge.testing import FakeAirflow

UTC = timezone.utc
WHEN = datetime(2024, 1, 1, tzinfo=UTC)
#: The longest str(error) any broken body may produce (URL and class name included).
MESSAGE_BOUND = 800

Call = Callable[[Client], Any]
OPERATIONS: dict[str, Call] = {
    "trigger": lambda c: c.dag_runs.trigger("etl", run_id="r1"),
    "get": lambda c: c.dag_runs.get("etl", "r1"),
    "list": lambda c: c.dag_runs.list("etl"),
    "count": lambda c: c.dag_runs.count("etl"),
    "iter": lambda c: next(iter(c.dag_runs.iter("etl"))),
    "set_state": lambda c: c.dag_runs.set_state("etl", "r1", "failed"),
    "set_note": lambda c: c.dag_runs.set_note("etl", "r1", "n"),
    "update": lambda c: c.dag_runs.update("etl", "r1", state="failed", note="n"),
    "clear dry": lambda c: c.dag_runs.clear("etl", "r1"),
    "clear real": lambda c: c.dag_runs.clear("etl", "r1", dry_run=False),
    "upstream_events": lambda c: c.dag_runs.upstream_events("etl", "r1"),
    "wait": lambda c: c.dag_runs.wait("etl", "r1", timeout=5, interval=0.1),
}
#: delete reads no body: any 2xx is success (what it answers on 2.10.5 and 3.3.2 is 204).
BODYLESS = {"delete": lambda c: c.dag_runs.delete("etl", "r1")}

RUN = {"dag_id": "etl", "dag_run_id": "r1", "run_id": "r1", "state": "queued"}
BROKEN_2XX: dict[str, httpx.Response] = {
    "html": httpx.Response(
        200,
        text="<html><head><title>Sign in - Corporate SSO</title></head><body>x</body></html>",
        headers={"content-type": "text/html"},
    ),
    "empty": httpx.Response(200, content=b""),
    "truncated": httpx.Response(200, content=json.dumps(RUN).encode()[:25]),
    "not utf-8": httpx.Response(200, content=b'{"dag_id": "\xff\xfe\xfa"}'),
    "utf-16 garbage": httpx.Response(200, content=b"\xff\xfe\x00\xd8"),
    "json list": httpx.Response(200, json=[RUN]),
    "json string": httpx.Response(200, json="ok"),
    "json number": httpx.Response(200, json=42),
    "json null": httpx.Response(200, json=None),
    "wrong types": httpx.Response(
        200,
        json={
            **RUN,
            "state": 12,
            "dag_id": None,
            "logical_date": "yesterday",
            "conf": "x",
            "dag_runs": "many",
            "total_entries": "lots",
            "task_instances": {"a": 1},
            "asset_events": 5,
            "dataset_events": 5,
        },
    ),
    "huge string": httpx.Response(200, json={"detail": "x" * 3_000_000, "dag_runs": ["y" * 1000]}),
}
BROKEN_5XX: dict[str, httpx.Response] = {
    "html": httpx.Response(502, text="<html><title>502 Bad Gateway</title></html>"),
    "empty": httpx.Response(503, content=b""),
    "not utf-8": httpx.Response(500, content=b"\xff\xfe\xfa oops"),
    "huge title": httpx.Response(502, text="<title>" + "Gateway " * 500_000 + "</title>"),
    "huge detail": httpx.Response(500, json={"detail": "boom " * 500_000}),
    "huge untitled page": httpx.Response(500, text="<p>" * 200_000),
}


def scripted(api: str, answer: Callable[[], httpx.Response]) -> Callable[..., httpx.Response]:
    """A server that detects as `api` and logs in, then gives `answer()` to every call."""

    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/v2/version":
            return httpx.Response(200, json=V2_VERSION) if api == "v2" else httpx.Response(404)
        if path == "/api/v1/version":
            return httpx.Response(200, json=V1_VERSION)
        if path == "/auth/token":
            return httpx.Response(201, json={"access_token": make_jwt(exp=4_000_000_000)})
        return answer()

    return handle


def fresh(response: httpx.Response) -> Callable[[], httpx.Response]:
    """A new response with the same status, headers and body for each request."""
    return lambda: httpx.Response(
        response.status_code, headers=response.headers, content=response.content
    )


def client(api: str, answer: Callable[[], httpx.Response], **kw: Any) -> Client:
    transport = httpx.MockTransport(scripted(api, answer))
    return Client("http://airflow:8080", username="admin", password="pw", transport=transport, **kw)


def outcome(call: Call, c: Client) -> BaseException | None:
    try:
        call(c)
    except Exception as exc:  # the test judges whatever comes out
        return exc
    return None


@pytest.mark.parametrize("api", ["v1", "v2"])
@pytest.mark.parametrize("kind", list(BROKEN_2XX))
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_a_broken_2xx_body_is_invalid_response_with_a_short_message(
    api: str, kind: str, operation: str
) -> None:
    error = outcome(OPERATIONS[operation], client(api, fresh(BROKEN_2XX[kind])))
    assert isinstance(error, InvalidResponse), (operation, kind, repr(error)[:300])
    assert len(str(error)) < MESSAGE_BOUND, str(error)[:300]


@pytest.mark.parametrize("api", ["v1", "v2"])
@pytest.mark.parametrize("kind", list(BROKEN_5XX))
@pytest.mark.parametrize("operation", [*OPERATIONS, *BODYLESS])
def test_a_broken_5xx_body_is_server_error_with_a_short_message(
    api: str, kind: str, operation: str
) -> None:
    call = {**OPERATIONS, **BODYLESS}[operation]
    error = outcome(call, client(api, fresh(BROKEN_5XX[kind]), retries=0))
    assert isinstance(error, ServerError), (operation, kind, repr(error)[:300])
    assert len(str(error)) < MESSAGE_BOUND, str(error)[:300]
    assert error.status == BROKEN_5XX[kind].status_code


@pytest.mark.parametrize("api", ["v1", "v2"])
@pytest.mark.parametrize("kind", list(BROKEN_2XX))
def test_delete_reads_no_body(api: str, kind: str) -> None:
    assert outcome(BODYLESS["delete"], client(api, fresh(BROKEN_2XX[kind]))) is None


# -- the size bound ---------------------------------------------------------------------------


def endless() -> Iterator[bytes]:
    """A body that never ends: only a bound on reading stops it."""
    while True:
        yield b"[" * 65_536


def gzip_bomb() -> httpx.Response:
    """100 MB of zeros in about 100 KB, streamed in small chunks."""
    packed = gzip.compress(b"\0" * 100_000_000, compresslevel=9)
    chunks = (packed[i : i + 8192] for i in range(0, len(packed), 8192))
    return httpx.Response(200, content=chunks, headers={"content-encoding": "gzip"})


BIG_ANSWERS: dict[str, Callable[[], httpx.Response]] = {
    "endless 200": lambda: httpx.Response(200, content=endless()),
    "endless 500": lambda: httpx.Response(500, content=endless()),
    "declared length": lambda: httpx.Response(
        200, content=iter([b"{}"]), headers={"content-length": str(10**12)}
    ),
    "gzip bomb": gzip_bomb,
}


def bounded(api: str, answer: Callable[[], httpx.Response], limit: int) -> Client:
    http = httpx.Client(
        transport=httpx.MockTransport(scripted(api, answer)),
        event_hooks={"response": [BodyLimit(limit)]},
    )
    return Client("http://airflow:8080", username="admin", password="pw", http_client=http)


@pytest.mark.parametrize("api", ["v1", "v2"])
@pytest.mark.parametrize("kind", list(BIG_ANSWERS))
@pytest.mark.parametrize("operation", ["get", "list", "trigger", "clear dry"])
def test_an_enormous_body_stops_at_the_bound(api: str, kind: str, operation: str) -> None:
    error = outcome(OPERATIONS[operation], bounded(api, BIG_ANSWERS[kind], 1_000_000))
    assert isinstance(error, InvalidResponse), repr(error)[:300]
    assert "too large" in str(error) and "max_body" in str(error)
    assert len(str(error)) < MESSAGE_BOUND


def test_a_body_within_the_bound_is_read_whole_and_gzip_is_decoded() -> None:
    run = {**RUN, "logical_date": None, "conf": {"k": "v" * 1000}}
    packed = gzip.compress(json.dumps(run).encode())

    def answer() -> httpx.Response:
        return httpx.Response(200, content=iter([packed]), headers={"content-encoding": "gzip"})

    got = bounded("v2", answer, len(json.dumps(run)) + 10).dag_runs.get("etl", "r1")
    assert got.conf == run["conf"]
    error = outcome(OPERATIONS["get"], bounded("v2", answer, len(json.dumps(run)) - 10))
    assert isinstance(error, InvalidResponse) and "once decoded" in str(error)


def test_a_body_that_is_not_what_its_content_encoding_says_is_invalid_response() -> None:
    def answer() -> httpx.Response:
        return httpx.Response(200, content=iter([b"plain"]), headers={"content-encoding": "gzip"})

    error = outcome(OPERATIONS["get"], bounded("v1", answer, DEFAULT_MAX_BODY))
    assert isinstance(error, InvalidResponse) and "gzip" in str(error)


def test_a_content_length_is_trusted_only_when_asked_and_only_for_a_plain_body() -> None:
    def lying() -> httpx.Response:  # declares 2 bytes, streams without end
        return httpx.Response(200, content=endless(), headers={"content-length": "2"})

    error = outcome(OPERATIONS["get"], bounded("v2", lying, 1_000_000))
    assert isinstance(error, InvalidResponse) and "too large" in str(error)

    def stream_after_hook(limit: BodyLimit, headers: list[tuple[str, str]]) -> bool:
        response = httpx.Response(200, content=iter([b"{}"]), headers=headers)
        stream = response.stream
        limit(response)
        return response.stream is stream  # True: left unwrapped, nothing counted

    trusting = BodyLimit(1_000, trust_length=True)
    assert stream_after_hook(trusting, [("Content-Length", "2")])
    assert stream_after_hook(trusting, [("content-length", "2"), ("content-encoding", "identity")])
    assert not stream_after_hook(BodyLimit(1_000), [("content-length", "2")])
    for headers in (
        [],  # no length: counted as it streams
        [("content-length", "2"), ("content-encoding", "gzip")],  # decoded size can be more
        [("content-length", "2"), ("content-length", "2")],  # repeated: not one declared size
        [("content-length", "2 ")],
    ):
        assert not stream_after_hook(trusting, headers), headers
    with pytest.raises(InvalidResponse, match="Content-Length 1,001"):
        request = httpx.Request("GET", "http://airflow:8080/api/v2/dags/etl/dagRuns/r1")
        trusting(httpx.Response(200, headers={"content-length": "1001"}, request=request))


def test_the_clients_own_transport_holds_a_declared_length() -> None:
    """What `trust_length` relies on: over httpx's own transport (h11), a server that sends
    more than its Content-Length does not get the rest into the body."""
    server = socket.create_server(("127.0.0.1", 0))

    def answer() -> None:
        connection, _ = server.accept()
        with connection:
            connection.recv(65_536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}" + b"x" * 100_000)

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    port = server.getsockname()[1]
    hook = http_options(
        timeout=5, verify=True, headers=None, transport=None, http_client=None, max_body=10
    )["event_hooks"]["response"][0]
    assert isinstance(hook, BodyLimit) and hook.trust_length
    with httpx.Client(event_hooks={"response": [hook]}, timeout=5) as http:
        assert http.get(f"http://127.0.0.1:{port}/").content == b"{}"
    thread.join(5)
    server.close()
    given = http_options(
        timeout=5,
        verify=True,
        headers=None,
        transport=httpx.MockTransport(lambda r: httpx.Response(200)),
        http_client=None,
    )["event_hooks"]["response"][0]
    assert isinstance(given, BodyLimit) and not given.trust_length


def test_the_bound_holds_for_the_async_client_too() -> None:
    async def endless_async() -> AsyncIterator[bytes]:
        while True:
            yield b"x" * 65_536

    async def main() -> BaseException | None:
        http = httpx.AsyncClient(
            transport=httpx.MockTransport(
                scripted("v2", lambda: httpx.Response(200, content=endless_async()))
            ),
            event_hooks={"response": [BodyLimit(500_000)]},
        )
        async with AsyncClient("http://airflow:8080", token="t", http_client=http) as c:
            try:
                await c.dag_runs.get("etl", "r1")
            except InvalidResponse as exc:
                return exc
        return None

    assert "too large" in str(asyncio.run(main()))


@pytest.mark.parametrize("limit", [0, -1, 1.5, True, "1MB"])
def test_a_bound_that_is_not_a_positive_int_is_refused(limit: Any) -> None:
    with pytest.raises(InvalidArgument, match="max_body"):
        BodyLimit(limit)


# -- FakeAirflow's injected faults: a proxy's HTML error page for every operation ------------


@pytest.mark.parametrize("version", ["2.10.5", "3.3.2"])
@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_proxy_error_page_is_server_error_for_every_operation(version: str, status: int) -> None:
    fake = FakeAirflow(version)
    c = Client(
        fake.base_url,
        username="admin",
        password="admin",
        transport=fake.transport(),
        retries=0,
    )
    assert c.server_info().version == version  # detected before the faults start
    fake.inject("*", status=status, html=True, times=None)
    for name, call in {**OPERATIONS, **BODYLESS}.items():
        error = outcome(call, c)
        assert isinstance(error, ServerError), (name, repr(error))
        assert error.status == status and len(str(error)) < MESSAGE_BOUND


def test_the_clients_own_http_client_has_the_default_bound() -> None:
    error = outcome(OPERATIONS["get"], client("v2", lambda: httpx.Response(200, content=endless())))
    assert isinstance(error, InvalidResponse)
    assert f"the limit is {DEFAULT_MAX_BODY:,} bytes" in str(error)


@pytest.mark.parametrize("version", ["2.10.5", "3.3.2"])
def test_a_dropped_connection_is_a_transport_error_for_every_operation(version: str) -> None:
    fake = FakeAirflow(version)
    c = Client(
        fake.base_url, username="admin", password="admin", transport=fake.transport(), retries=0
    )
    assert c.server_info().version == version
    fake.inject("*", drop="disconnect", times=None)
    for name, call in {**OPERATIONS, **BODYLESS}.items():
        error = outcome(call, c)
        assert isinstance(error, TransportError), (name, repr(error))
