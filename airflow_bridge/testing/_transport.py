"""The fake as httpx.MockTransport handlers, sync and async.

Faults become what httpx raises for the real thing: a refused connection is ConnectError,
a server that hangs up is RemoteProtocolError, latency past the read timeout is ReadTimeout.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import TYPE_CHECKING

import anyio
import anyio.to_thread
import httpx

from airflow_bridge.testing._faults import Outcome
from airflow_bridge.testing._http import Request, Response

if TYPE_CHECKING:
    from airflow_bridge.testing._fake import FakeAirflow


def to_request(request: httpx.Request) -> Request:
    raw_path = request.url.raw_path.decode("ascii").split("?", 1)[0]
    return Request(
        method=request.method,
        raw_path=raw_path,
        query=list(request.url.params.multi_items()),
        headers={name.lower(): value for name, value in request.headers.items()},
        body=request.content,
    )


def _wait(request: httpx.Request, delay: float) -> tuple[float, bool]:
    """How long to sleep, and whether the client gives up first (its read timeout)."""
    timeouts = request.extensions.get("timeout") or {}
    read = timeouts.get("read")
    if read is not None and delay >= read:
        return read, True
    return delay, False


def _raise_for(request: httpx.Request, outcome: Outcome, timed_out: bool) -> None:
    if timed_out:
        raise httpx.ReadTimeout("timed out", request=request)
    if outcome.drop == "refuse":
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
    if outcome.drop == "disconnect":
        raise httpx.RemoteProtocolError(
            "Server disconnected without sending a response.", request=request
        )


class _AsyncChunks(httpx.AsyncByteStream):
    """A streamed body (the wait endpoint) read in a worker thread: it may sleep."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            chunk = await anyio.to_thread.run_sync(next, self._chunks, None)
            if chunk is None:
                return
            yield chunk


def _headers(response: Response) -> dict[str, str]:
    return dict(response.headers)


def sync_handler(fake: FakeAirflow) -> Callable[[httpx.Request], httpx.Response]:
    def handle(request: httpx.Request) -> httpx.Response:
        ours = to_request(request)
        outcome = fake.plan(ours)
        delay, timed_out = _wait(request, outcome.delay)
        if delay:
            time.sleep(delay)
        _raise_for(request, outcome, timed_out)
        response = fake.respond(ours, outcome)
        if response.stream is not None:
            return httpx.Response(
                response.status, headers=_headers(response), content=response.stream
            )
        return httpx.Response(response.status, headers=_headers(response), content=response.body)

    return handle


def async_handler(
    fake: FakeAirflow,
) -> Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]:
    async def handle(request: httpx.Request) -> httpx.Response:
        ours = to_request(request)
        outcome = fake.plan(ours)
        delay, timed_out = _wait(request, outcome.delay)
        if delay:
            await anyio.sleep(delay)
        _raise_for(request, outcome, timed_out)
        response = fake.respond(ours, outcome)
        if response.stream is not None:
            stream = _AsyncChunks(response.stream)
            return httpx.Response(response.status, headers=_headers(response), stream=stream)
        return httpx.Response(response.status, headers=_headers(response), content=response.body)

    return handle
