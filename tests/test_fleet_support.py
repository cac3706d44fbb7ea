"""Scripted in-process Airflow servers of both generations for the fleet and CLI tests.

Holds no tests itself (its name only keeps it among the fleet's test files).

Built on tests/mockserver.py. `delayed()` turns a scripted server into an async transport
that answers after a pause (a slow or hanging server); `serve()` puts one on a loopback port
so a subprocess (the CLI) can reach it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from mockserver import MockServer, problem, v1_run, v1_server, v2_run, v2_server

HEALTHY = {"metadatabase": {"status": "healthy"}, "scheduler": {"status": "healthy"}}


def at(day: int, hour: int = 0) -> str:
    return f"2024-01-{day:02d}T{hour:02d}:00:00+00:00"


def airflow3(runs: list[dict[str, Any]], **routes: Any) -> MockServer:
    """An Airflow 3.3.2 server listing `runs` (v2 bodies) for `~` and `etl`."""
    page = (200, {"dag_runs": runs, "total_entries": len(runs)})
    return v2_server(
        {
            ("GET", "/api/v2/dags/~/dagRuns"): page,
            ("GET", "/api/v2/dags/etl/dagRuns"): page,
            ("GET", "/api/v2/monitor/health"): (200, HEALTHY),
            **{(k.split(" ")[0], k.split(" ")[1]): v for k, v in routes.items()},
        }
    )


def airflow2(runs: list[dict[str, Any]], version: str = "2.10.5", **routes: Any) -> MockServer:
    """An Airflow 2 server (2.10.5 unless told) listing `runs` (v1 bodies)."""
    page = (200, {"dag_runs": runs, "total_entries": len(runs)})
    server = v1_server(
        {
            ("GET", "/api/v1/dags/~/dagRuns"): page,
            ("GET", "/api/v1/dags/etl/dagRuns"): page,
            ("GET", "/api/v1/dags/etl"): (200, {"dag_id": "etl"}),
            ("GET", "/api/v1/health"): (200, HEALTHY),
            **{(k.split(" ")[0], k.split(" ")[1]): v for k, v in routes.items()},
        }
    )
    server.routes[("GET", "/api/v1/version")] = (200, {"version": version, "git_version": None})
    return server


def failing(status: int = 500) -> MockServer:
    """An Airflow 3 server whose every DagRun endpoint answers `status`."""
    answer = problem(status, "Internal Server Error")
    server = airflow3([])
    for key in [k for k in server.routes if "dagRuns" in k[1]]:
        server.routes[key] = answer
    server.routes[("GET", "/api/v2/dags/etl/dagRuns/r1")] = answer
    return server


def delayed(server: MockServer, seconds: float) -> httpx.AsyncBaseTransport:
    """An async transport answering like `server`, each answer after `seconds`."""

    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(seconds)
        return server(request)

    return httpx.MockTransport(handler)


V2_RUNS = [
    v2_run("v2-new", start_date=at(5), state="failed"),
    v2_run("v2-queued", start_date=None, state="queued"),
    v2_run("v2-old", start_date=at(1), state="success"),
]
V1_RUNS = [
    v1_run("v1-mid", start_date=at(3), state="failed"),
    v1_run("v1-newest", start_date=at(6), state="running"),
]


@contextmanager
def serve(server: MockServer, delay: float = 0.0) -> Iterator[str]:
    """`server` on a loopback port for the duration, each answer after `delay` seconds;
    yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            request = httpx.Request(
                self.command,
                f"http://127.0.0.1{self.path}",
                headers=dict(self.headers.items()),
                content=self.rfile.read(length),
            )
            time.sleep(delay)
            response = server(request)
            self.send_response(response.status_code)
            body = response.read()
            self.send_header("content-type", response.headers.get("content-type", "text/plain"))
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PATCH = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
