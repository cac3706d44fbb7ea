"""Airflow 3's token lifecycle against the live 3.3.2 server (issue 11): many concurrent
requests from a fresh client make exactly one `POST /auth/token`, in threads and in asyncio
tasks; a token the server cannot verify (its signature spoiled on the wire, as after a
secret rotation) is answered 403 "Invalid JWT token" and costs one more login, then the
request succeeds. Logins are counted by a transport wrapper; only reads are sent, so
nothing is left on the shared server.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import httpx
import pytest

from airflow_bridge import AsyncClient, Client

pytestmark = pytest.mark.real
DAG = "bridge_plain"
REQUESTS = 100
TIMEOUT = 120.0  # the shared servers can be slow under the other tiers' load


def v3_only(live_server: dict[str, Any]) -> None:
    if live_server["api"] != "v2":
        pytest.skip("token logins are Airflow 3's (Airflow 2 takes Basic credentials)")


class Counted:
    """What went over the wire: each request's method and path, each answer's status; and
    optionally the next N requests' bearer tokens spoiled (the signature replaced)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent: list[tuple[str, str, int]] = []
        self.spoil = 0

    def before(self, request: httpx.Request) -> None:
        with self.lock:
            spoil, self.spoil = self.spoil > 0, max(0, self.spoil - 1)
        header = request.headers.get("authorization", "")
        if spoil and header.startswith("Bearer "):
            head, payload, signature = header.removeprefix("Bearer ").split(".")
            request.headers["authorization"] = f"Bearer {head}.{payload}.{'A' * len(signature)}"

    def after(self, request: httpx.Request, response: httpx.Response) -> None:
        with self.lock:
            self.sent.append((request.method, request.url.path, response.status_code))

    def logins(self) -> list[int]:
        return [status for method, path, status in self.sent if path.endswith("/auth/token")]

    def reads(self) -> list[int]:
        return [status for method, path, status in self.sent if path.endswith(f"/dags/{DAG}")]


class CountingTransport(httpx.HTTPTransport):
    def __init__(self, counted: Counted) -> None:
        super().__init__()
        self.counted = counted

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.counted.before(request)
        response = super().handle_request(request)
        self.counted.after(request, response)
        return response


class AsyncCountingTransport(httpx.AsyncHTTPTransport):
    def __init__(self, counted: Counted) -> None:
        super().__init__()
        self.counted = counted

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.counted.before(request)
        response = await super().handle_async_request(request)
        self.counted.after(request, response)
        return response


def options(live_server: dict[str, Any]) -> dict[str, Any]:
    return {
        "username": str(live_server["username"]),
        "password": str(live_server["password"]),
        "timeout": TIMEOUT,
    }


def test_concurrent_threads_on_a_fresh_client_make_one_login(live_server: dict[str, Any]) -> None:
    v3_only(live_server)
    counted = Counted()
    start = threading.Barrier(REQUESTS)

    def one(client: Client) -> str:
        start.wait()
        return client.dags.get(DAG).dag_id

    client = Client(
        str(live_server["base_url"]), transport=CountingTransport(counted), **options(live_server)
    )
    with client, ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        got = list(pool.map(one, [client] * REQUESTS))
    assert got == [DAG] * REQUESTS
    assert counted.reads() == [200] * REQUESTS
    assert counted.logins() == [201], counted.sent


def test_concurrent_tasks_on_a_fresh_client_make_one_login(live_server: dict[str, Any]) -> None:
    v3_only(live_server)
    counted = Counted()

    async def main() -> list[str]:
        got: list[str] = []
        async with AsyncClient(
            str(live_server["base_url"]),
            transport=AsyncCountingTransport(counted),
            **options(live_server),
        ) as client:

            async def one() -> None:
                got.append((await client.dags.get(DAG)).dag_id)

            async with anyio.create_task_group() as tasks:
                for _ in range(REQUESTS):
                    tasks.start_soon(one)
        return got

    assert anyio.run(main) == [DAG] * REQUESTS
    assert counted.reads() == [200] * REQUESTS
    assert counted.logins() == [201], counted.sent


def test_a_token_the_server_cannot_verify_costs_one_more_login(
    live_server: dict[str, Any],
) -> None:
    v3_only(live_server)
    counted = Counted()
    client = Client(
        str(live_server["base_url"]), transport=CountingTransport(counted), **options(live_server)
    )
    with client:
        client.dags.get(DAG)
        counted.spoil = 1  # the next request's token: as if the server's secret had changed
        assert client.dags.get(DAG).dag_id == DAG
    assert counted.reads() == [200, 403, 200]  # 3.3.2: 403 "Invalid JWT token", then again
    assert counted.logins() == [201, 201]
