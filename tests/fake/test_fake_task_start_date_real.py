"""Real tier: a bridge_plain run dated July 2023, before the DAG's start_date (2024-01-01),
finishes on the live server with no task instances; the fake of its version answers the
task-instance endpoints for it (and for a run that does not exist) as the server does."""

from __future__ import annotations

import secrets
import time
from typing import Any

import httpx
import pytest
from raw_http import raw, raw_fake, remove, run_path, trigger

from airflow_bridge.testing import FakeAirflow

pytestmark = pytest.mark.real


def finished(http: httpx.Client, api: str, run_id: str, seconds: float = 120) -> str:
    """The run's state once the live scheduler has finished it."""
    deadline = time.monotonic() + seconds
    while True:
        state = str(http.get(run_path(api, "bridge_plain", run_id)).json()["state"])
        if state in ("success", "failed") or time.monotonic() > deadline:
            return state
        time.sleep(1)


def answers(http: httpx.Client, api: str, run_id: str) -> list[tuple[int, Any]]:
    """The task-instance endpoints' status and body for the run (and for task `first`)."""
    path = run_path(api, "bridge_plain", run_id)
    tis = path + "/taskInstances"
    got = [http.get(tis), http.get(tis + "/first"), http.get(tis + "/first/logs/1")]
    got.append(http.post(path + "/clear", json={"dry_run": True}))
    return [(answer.status_code, answer.json()) for answer in got]


def test_the_fake_has_no_task_instances_where_its_live_server_has_none(
    live_server: dict[str, Any],
) -> None:
    api, version = str(live_server["api"]), str(live_server["version"])
    run_id = f"fakefix-{secrets.token_hex(4)}"
    minute = secrets.randbelow(60 * 24 * 20)
    hour, rest = divmod(minute, 60)
    moment = f"2023-07-{1 + hour // 24:02d}T{hour % 24:02d}:{rest:02d}:00+00:00"
    fake = FakeAirflow(version)
    with raw(str(live_server["base_url"]), api) as live, raw_fake(fake) as faked:
        try:
            assert trigger(live, api, run_id, moment).status_code == 200
            assert finished(live, api, run_id) == "success"
            assert trigger(faked, api, run_id, moment).status_code == 200
            fake.advance(run_id, to="success")
            seen = answers(live, api, run_id)
            assert [status for status, _ in seen] == [200, 404, 404, 200]
            assert answers(faked, api, run_id) == seen
            assert answers(faked, api, run_id + "-none") == answers(live, api, run_id + "-none")
        finally:
            remove(live, api, run_id)
