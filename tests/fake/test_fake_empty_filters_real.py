"""Real tier: empty filters on run listings, fake against live, on two runs each side creates
in a window of its own (September 2023): the batch list with `dag_ids: []` or `states: []`
counts what it counts without the field, and `?state=` lists nothing on 2.10.5 and is a 422
on 3.3.2 (the same status and body from fake and live)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from raw_http import raw, raw_fake, remove, trigger

from airflow_bridge.testing import FakeAirflow

pytestmark = pytest.mark.real

EMPTY: list[dict[str, Any]] = [{}, {"dag_ids": []}, {"states": []}, {"dag_ids": [], "states": []}]


@pytest.fixture
def window(live_server: dict[str, Any]) -> Iterator[tuple[httpx.Client, httpx.Client, str, str]]:
    """(live, fake, first moment, last moment): two runs on each side, dated in the window."""
    api, version = str(live_server["api"]), str(live_server["version"])
    prefix, hour = f"fakeempty-{secrets.token_hex(4)}", secrets.randbelow(24 * 28)
    day, hour = 1 + hour // 24, hour % 24
    moments = [f"2023-09-{day:02d}T{hour:02d}:{minute:02d}:00+00:00" for minute in (10, 20)]
    created: list[str] = []
    with raw(str(live_server["base_url"]), api) as live, raw_fake(FakeAirflow(version)) as fake:
        try:
            for n, moment in enumerate(moments):
                run_id = f"{prefix}-{n}"
                assert trigger(live, api, run_id, moment).status_code == 200
                created.append(run_id)
                assert trigger(fake, api, run_id, moment).status_code == 200
            yield live, fake, moments[0], moments[1]
        finally:
            for run_id in created:
                remove(live, api, run_id)


def test_empty_batch_lists_count_as_left_out(
    live_server: dict[str, Any], window: tuple[httpx.Client, httpx.Client, str, str]
) -> None:
    live, fake, first, last = window
    api = str(live_server["api"])
    key = "execution_date" if api == "v1" else "logical_date"
    bounds = {f"{key}_gte": first, f"{key}_lte": last}
    for body in EMPTY:
        seen = live.post(f"/api/{api}/dags/~/dagRuns/list", json={**bounds, **body})
        faked = fake.post(f"/api/{api}/dags/~/dagRuns/list", json={**bounds, **body})
        assert seen.status_code == faked.status_code == 200, body
        assert sorted(faked.json()) == sorted(seen.json()), body
        assert faked.json()["total_entries"] == seen.json()["total_entries"] == 2, body


def test_an_empty_state_query_answers_as_live(
    live_server: dict[str, Any], window: tuple[httpx.Client, httpx.Client, str, str]
) -> None:
    live, fake, first, last = window
    api = str(live_server["api"])
    key = "execution_date" if api == "v1" else "logical_date"
    path = f"/api/{api}/dags/bridge_plain/dagRuns"
    for extra in ({}, {"state": ""}):
        params = {f"{key}_gte": first, f"{key}_lte": last, **extra}
        seen, faked = live.get(path, params=params), fake.get(path, params=params)
        assert faked.status_code == seen.status_code, extra
        if seen.status_code == 200:
            assert sorted(faked.json()) == sorted(seen.json())
            assert faked.json()["total_entries"] == seen.json()["total_entries"], extra
        else:
            assert faked.json() == seen.json(), extra
    assert (
        live.get(path, params={f"{key}_gte": first, f"{key}_lte": last}).json()["total_entries"]
        == 2
    )
