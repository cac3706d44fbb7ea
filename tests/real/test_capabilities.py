"""The capability matrix against what each live server actually does.

For every capability that is an endpoint or a request-body field, a raw request (not the
facade, which would refuse before sending) shows whether the server has it: an endpoint the
matrix says exists must not answer 404/405, a missing one must; a body field the matrix says
is missing must be refused as unknown (400/422). Query filters cannot be checked this way
(servers ignore unknown query parameters), so they rest on the specs and changelogs.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from airflow_bridge import Client

pytestmark = pytest.mark.real

Probe = Callable[["Server", str], httpx.Response]


class Server:
    """A live server, its detected capabilities, and an authenticated raw httpx client."""

    def __init__(self, details: dict[str, Any]) -> None:
        self.client = Client(
            str(details["base_url"]),
            username=str(details["username"]),
            password=str(details["password"]),
        )
        self.info = self.client.server
        self.api = self.info.api
        self.raw = httpx.Client(base_url=self.info.base_url, timeout=30)
        if self.api == "v1":
            self.raw.auth = httpx.BasicAuth(str(details["username"]), str(details["password"]))
        else:
            token = self.raw.post(
                "/auth/token",
                json={"username": details["username"], "password": details["password"]},
            ).json()["access_token"]
            self.raw.headers["Authorization"] = f"Bearer {token}"

    def runs_path(self, run_id: str = "") -> str:
        path = f"/api/{self.api}/dags/bridge_plain/dagRuns"
        return f"{path}/{run_id}" if run_id else path

    def trigger_body(self, **fields: Any) -> dict[str, Any]:
        body = {"dag_run_id": f"cap-{uuid.uuid4().hex[:10]}", **fields}
        if self.api == "v2":
            body.setdefault("logical_date", None)
        return body


@pytest.fixture(scope="module")
def server(live_server: dict[str, Any]) -> Iterator[Server]:
    server = Server(live_server)
    yield server
    server.raw.close()
    server.client.close()


@pytest.fixture(scope="module")
def run_id(server: Server) -> str:
    return server.client.dag_runs.trigger("bridge_plain", run_id=f"cap-{uuid.uuid4().hex}").run_id


def _set_state(s: Server, run_id: str) -> httpx.Response:
    mask = {"update_mask": "state"} if s.api == "v2" else None
    return s.raw.patch(s.runs_path(run_id), params=mask, json={"state": "failed"})


def _set_note(s: Server, run_id: str) -> httpx.Response:
    if s.api == "v1":
        return s.raw.patch(s.runs_path(run_id) + "/setNote", json={"note": "n"})
    return s.raw.patch(s.runs_path(run_id), params={"update_mask": "note"}, json={"note": "n"})


def _clear(s: Server, run_id: str) -> httpx.Response:
    return s.raw.post(s.runs_path(run_id) + "/clear", json={"dry_run": True})


def _upstream_events(s: Server, run_id: str) -> httpx.Response:
    name = "upstreamDatasetEvents" if s.api == "v1" else "upstreamAssetEvents"
    return s.raw.get(f"{s.runs_path(run_id)}/{name}")


def _note(s: Server, _: str) -> httpx.Response:
    return s.raw.post(s.runs_path(), json=s.trigger_body(note="n"))


def _data_interval(s: Server, _: str) -> httpx.Response:
    # Airflow 2 allows one run per logical date: a minute of its own for every probe, in 2024
    # (the differential tier's windows are in 2025; a run there would show in its lists).
    minutes = random.randrange(250 * 1440)
    end = datetime(2024, 3, 1, tzinfo=timezone.utc) + timedelta(minutes=minutes)
    body = s.trigger_body(
        logical_date=end.isoformat(),
        data_interval_start=(end - timedelta(days=1)).isoformat(),
        data_interval_end=end.isoformat(),
    )
    return s.raw.post(s.runs_path(), json=body)


def _only_failed(s: Server, run_id: str) -> httpx.Response:
    return s.raw.post(s.runs_path(run_id) + "/clear", json={"dry_run": True, "only_failed": True})


ENDPOINTS: dict[str, Probe] = {
    "set_state": _set_state,
    "set_note": _set_note,
    "clear": _clear,
    "upstream_events": _upstream_events,
}
BODY_FIELDS: dict[str, Probe] = {
    "note": _note,
    "data_interval": _data_interval,
    "only_failed": _only_failed,
}


@pytest.mark.parametrize("capability", sorted(ENDPOINTS))
def test_endpoint_exists_exactly_when_the_matrix_says_so(
    server: Server, run_id: str, capability: str
) -> None:
    status = ENDPOINTS[capability](server, run_id).status_code
    if server.info.supports(capability):
        assert status not in (404, 405), f"{capability} on {server.info.version}: {status}"
    else:
        assert status in (404, 405), f"{capability} on {server.info.version}: {status}"


@pytest.mark.parametrize("capability", sorted(BODY_FIELDS))
def test_body_field_is_accepted_exactly_when_the_matrix_says_so(
    server: Server, run_id: str, capability: str
) -> None:
    response = BODY_FIELDS[capability](server, run_id)
    if server.info.supports(capability):
        assert response.is_success, f"{capability} on {server.info.version}: {response.text}"
    else:
        assert response.status_code in (400, 422), f"{capability}: {response.status_code}"
