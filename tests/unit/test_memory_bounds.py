"""What a listing keeps in memory while it walks (issue 13, target 4): in the servers' default
order (id ascending) the Pager remembers only the previous page's runs (or batch of pages
fetched ahead), so `iter()` over any number of runs holds a bounded number of pages; in any
other order it remembers every run it yielded, so a run moved by an update or an insert
ahead of the walk is still never yielded twice.

Counts of what the Pager retains, not timings or byte sizes: deterministic on any machine.
benchmarks/memory.py measures the process's peak memory."""

from __future__ import annotations

import ssl
from typing import Any

import httpx
import pytest
from mockserver import MockServer, v1_run, v1_server

from airflow_bridge import Client, _prefetch
from airflow_bridge._env import tls_context

V1_RUNS = "/api/v1/dags/etl/dagRuns"


def offset_server(total: int, repeat_at: dict[int, str] | None = None) -> MockServer:
    """An Airflow 2 list of `total` runs r0..; `repeat_at` puts an already listed run first
    on the page at that offset (as a run committed out of id order pushes one back)."""

    def answer(request: httpx.Request) -> httpx.Response:
        offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        ids = [f"r{i}" for i in range(offset, min(offset + limit, total))]
        if repeat_at and offset in repeat_at:
            ids = [repeat_at[offset], *ids[:-1]]
        body = {"dag_runs": [v1_run(i) for i in ids], "total_entries": total}
        return httpx.Response(200, json=body)

    return v1_server({("GET", V1_RUNS): answer})


def walk(server: MockServer, **filters: Any) -> tuple[list[str], list[int]]:
    """The run ids yielded, and after each page how many runs the Pager remembers."""
    client = Client("http://airflow:8080", api="v1", token="t", transport=server.transport())
    runs = client.dag_runs.iter("etl", page_size=10, **filters)
    pager = runs._pager
    ids, retained = [], []
    for run in runs:
        ids.append(run.run_id)
        if not runs._ready:  # a page was just used up
            retained.append(len(pager._seen) + len(pager._previous))
    return ids, retained


@pytest.mark.parametrize("order_by", [None, "id"])
def test_a_default_order_walk_remembers_two_batches_of_pages_at_most(order_by: str | None) -> None:
    # Pages after the first are fetched ahead in batches of up to AHEAD pages, taken as one.
    filters = {"order_by": order_by} if order_by else {}
    bound = 2 * _prefetch.AHEAD * 10
    peaks = []
    for total in (1000, 3000):
        ids, retained = walk(offset_server(total), **filters)
        assert ids == [f"r{i}" for i in range(total)]
        peaks.append(max(retained))
    assert peaks[0] == peaks[1] <= bound  # the same, whatever the length of the walk


def test_a_default_order_walk_still_drops_a_run_pushed_onto_the_next_page() -> None:
    ids, _ = walk(offset_server(30, repeat_at={10: "r9", 20: "r19"}))
    assert len(ids) == len(set(ids))
    assert "r9" in ids and ids.count("r9") == 1


@pytest.mark.parametrize("order_by", ["-id", "-logical_date", "state"])
def test_any_other_order_remembers_every_run_yielded(order_by: str) -> None:
    # A run can move any distance in these orders (an insert ahead of a newest-first walk,
    # an update of the sort field), so every yielded run is remembered.
    ids, retained = walk(offset_server(100, repeat_at={50: "r3"}), order_by=order_by)
    assert ids.count("r3") == 1  # five pages on, still dropped
    assert retained[-1] == len(ids)


def test_clients_built_with_default_verification_share_one_tls_context() -> None:
    # Each httpx client given verify=True loads the CA bundle again (about 0.8 MB and 17 ms
    # a client, benchmarks/fleet_scale.py): a fleet's servers share one context instead.
    shared = tls_context(True, None)
    assert isinstance(shared, ssl.SSLContext) and shared is tls_context(True, None)
    assert shared.verify_mode == ssl.CERT_REQUIRED and shared.check_hostname
    assert tls_context(False, None) is False
    own = ssl.create_default_context()
    assert tls_context(own, None) is own
