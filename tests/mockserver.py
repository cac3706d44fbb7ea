"""A scripted httpx transport for facade tests: routes by method and path, records requests.

Not a fake Airflow (that is airflow_bridge.testing's job): each test says exactly what the
server answers, so the test shows which request the facade sent for which answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

Handler = Callable[[httpx.Request], httpx.Response]

V1_VERSION = {"version": "2.10.5", "git_version": ".release:abc"}
V2_VERSION = {"version": "3.3.2", "git_version": ".release:def"}


def problem(status: int, detail: str | None, title: str = "Error") -> httpx.Response:
    """An Airflow 2 (connexion) error: RFC 7807 problem+json."""
    body = {"detail": detail, "status": status, "title": title, "type": "about:blank"}
    return httpx.Response(
        status, content=json.dumps(body), headers={"content-type": "application/problem+json"}
    )


def html_404() -> httpx.Response:
    return httpx.Response(
        404, text="<html><title>404 Not Found</title></html>", headers={"content-type": "text/html"}
    )


class MockServer:
    """Answers from a route table; unknown routes get Airflow 2's HTML 404."""

    def __init__(self, routes: dict[tuple[str, str], Any]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.routes.get((request.method, request.url.raw_path.decode().split("?")[0]))
        if answer is None:
            return html_404()
        if callable(answer):
            result: httpx.Response = answer(request)
            return result
        if isinstance(answer, httpx.Response):
            return answer
        status, body = answer
        return httpx.Response(status, json=body)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def async_transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def sent(self, method: str | None = None) -> list[httpx.Request]:
        """Requests sent, minus the version probes."""
        return [
            r
            for r in self.requests
            if not r.url.raw_path.endswith((b"/api/v1/version", b"/api/v2/version"))
            and (method is None or r.method == method)
        ]


def v1_server(routes: dict[tuple[str, str], Any]) -> MockServer:
    return MockServer({("GET", "/api/v1/version"): (200, V1_VERSION), **routes})


def v2_server(routes: dict[tuple[str, str], Any]) -> MockServer:
    return MockServer(
        {
            ("GET", "/api/v2/version"): (200, V2_VERSION),
            ("POST", "/auth/token"): (201, {"access_token": make_jwt(exp=4_000_000_000)}),
            **routes,
        }
    )


def make_jwt(*, exp: float | None, sub: str = "admin") -> str:
    import base64

    def part(data: dict[str, Any]) -> str:
        raw = json.dumps(data).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    claims: dict[str, Any] = {"sub": sub}
    if exp is not None:
        claims["exp"] = exp
    return f"{part({'alg': 'HS512', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def v1_run(run_id: str = "r1", dag_id: str = "etl", **fields: Any) -> dict[str, Any]:
    """An Airflow 2.10 DAGRun body, as a real server sends it."""
    body = {
        "conf": {},
        "dag_id": dag_id,
        "dag_run_id": run_id,
        "data_interval_end": "2024-01-01T00:00:00+00:00",
        "data_interval_start": "2024-01-01T00:00:00+00:00",
        "end_date": None,
        "execution_date": "2024-01-01T00:00:00+00:00",
        "external_trigger": True,
        "last_scheduling_decision": None,
        "logical_date": "2024-01-01T00:00:00+00:00",
        "note": None,
        "run_type": "manual",
        "start_date": None,
        "state": "queued",
    }
    body.update(fields)
    return body


def v2_run(run_id: str = "r1", dag_id: str = "etl", **fields: Any) -> dict[str, Any]:
    """An Airflow 3.3 DAGRunResponse body, as a real server sends it."""
    body = {
        "dag_run_id": run_id,
        "dag_id": dag_id,
        "logical_date": "2024-01-01T00:00:00Z",
        "queued_at": "2024-01-01T00:00:01Z",
        "start_date": None,
        "end_date": None,
        "duration": None,
        "data_interval_start": "2024-01-01T00:00:00Z",
        "data_interval_end": "2024-01-01T00:00:00Z",
        "run_after": "2024-01-01T00:00:00Z",
        "last_scheduling_decision": None,
        "run_type": "manual",
        "state": "queued",
        "triggered_by": "rest_api",
        "triggering_user_name": "admin",
        "conf": {},
        "note": None,
        "dag_versions": [],
        "bundle_version": None,
        "dag_display_name": dag_id,
        "partition_key": None,
        "partition_date": None,
    }
    body.update(fields)
    return body
