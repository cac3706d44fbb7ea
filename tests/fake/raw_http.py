"""httpx straight at a fake or a live server, logged in as its generation logs in, for tests
that compare what the two answer byte for byte rather than what the facade makes of it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from urllib.parse import quote

import httpx

from airflow_bridge.testing import FakeAirflow


@contextmanager
def raw(
    base_url: str,
    api: str,
    *,
    transport: httpx.BaseTransport | None = None,
    username: str = "admin",
    password: str = "admin",
) -> Iterator[httpx.Client]:
    """Basic auth on v1; on v2 a token from `/auth/token`."""
    with httpx.Client(base_url=base_url, transport=transport, timeout=30) as http:
        if api == "v1":
            http.auth = httpx.BasicAuth(username, password)
        else:
            login = {"username": username, "password": password}
            token = http.post("/auth/token", json=login).json()["access_token"]
            http.headers["authorization"] = f"Bearer {token}"
        yield http


def raw_fake(fake: FakeAirflow) -> AbstractContextManager[httpx.Client]:
    """`raw` on the fake's in-memory transport."""
    return raw(fake.base_url, fake.api, transport=fake.transport())


def run_path(api: str, dag_id: str, run_id: str) -> str:
    """A run's path, its id percent-encoded (newlines and all)."""
    return f"/api/{api}/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}"


def trigger(
    http: httpx.Client, api: str, run_id: str, moment: str, dag_id: str = "bridge_plain"
) -> httpx.Response:
    """POST a run of `dag_id` dated `moment` (ISO 8601) with this id."""
    key = "execution_date" if api == "v1" else "logical_date"
    body = {"dag_run_id": run_id, key: moment}
    return http.post(f"/api/{api}/dags/{dag_id}/dagRuns", json=body)


def remove(http: httpx.Client, api: str, run_id: str, dag_id: str = "bridge_plain") -> None:
    """Delete a live run; 3.3.2 refuses to delete a running one (409), so fail it first
    (again, if the scheduler started it meanwhile)."""
    path = run_path(api, dag_id, run_id)
    for _ in range(10):
        if http.delete(path).status_code != 409:
            return
        http.patch(path, json={"state": "failed"})
        time.sleep(1.0)


def seeded(version: str) -> FakeAirflow:
    """A fake with three bridge_plain runs (two instances each) and one bridge_failing run."""
    fake = FakeAirflow(version)
    for n in range(3):
        fake.add_run("bridge_plain", f"plain-{n}", state="success")
    fake.add_run("bridge_failing", "failing-0")
    return fake
