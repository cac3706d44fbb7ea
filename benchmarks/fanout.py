"""How long a fleet-wide query takes as the fleet grows, next to a loop over the same servers.

N simulated Airflow 3 servers (10, 50, 200 by default) each answer every request after a
fixed delay (100 ms by default), through in-process httpx transports that sleep, so the
figures hold the fan-out's own cost and no network noise. For each N it times one
`dag_runs.list()` across all servers:

* sequential: a plain loop calling `Client.dag_runs.list()` on each server in turn (what a
  script does today): N round trips back to back;
* AsyncFleet: `await fleet.dag_runs.list()`;
* Fleet: the sync `Fleet` (the same fan-out on its private loop thread).

Servers are configured with `api="v2"` and a token, so each query is exactly one round trip
per server (detection and login would add two more on the first call, for both sides alike).
Each fleet is warmed up with one call first; the fleet figures are the best of --repeats.
The target: a fleet query stays within 1.5x of one server's delay up to 200 servers.

    .venv/bin/python benchmarks/fanout.py [--sizes 10,50,200] [--delay 0.1] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from airflow_bridge import Client
from airflow_bridge.fleet import AsyncFleet, Fleet, Server

RUN = {
    "dag_run_id": "r1",
    "dag_id": "etl",
    "logical_date": "2024-01-01T00:00:00Z",
    "start_date": "2024-01-01T00:00:01Z",
    "end_date": None,
    "run_type": "manual",
    "state": "running",
    "conf": {},
    "note": None,
}
PAGE = json.dumps({"dag_runs": [RUN], "total_entries": 1}).encode()


def answer() -> httpx.Response:
    return httpx.Response(200, content=PAGE, headers={"content-type": "application/json"})


class SlowAsyncServer(httpx.AsyncBaseTransport):
    """An Airflow 3 list endpoint that answers after `delay` seconds, without blocking."""

    def __init__(self, delay: float) -> None:
        self.delay = delay

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(self.delay)
        return answer()


class SlowSyncServer(httpx.BaseTransport):
    """The same server for a sync client: the caller waits `delay` seconds."""

    def __init__(self, delay: float) -> None:
        self.delay = delay

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        time.sleep(self.delay)
        return answer()


def servers(count: int, delay: float) -> dict[str, Server]:
    return {
        f"s{i}": Server(f"http://s{i}:8080", api="v2", token="t", transport=SlowAsyncServer(delay))
        for i in range(count)
    }


def best(call: Callable[[], Any], repeats: int) -> float:
    call()  # warm-up: connection pools, imports
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
        assert result.ok and len(result) == len(result.outcomes)
    return min(times)


async def best_async(call: Callable[[], Awaitable[Any]], repeats: int) -> float:
    await call()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = await call()
        times.append(time.perf_counter() - started)
        assert result.ok and len(result) == len(result.outcomes)
    return min(times)


def sequential(count: int, delay: float) -> float:
    clients = [
        Client(f"http://s{i}:8080", api="v2", token="t", transport=SlowSyncServer(delay))
        for i in range(count)
    ]
    started = time.perf_counter()
    runs = [run for client in clients for run in client.dag_runs.list()]
    elapsed = time.perf_counter() - started
    assert len(runs) == count
    return elapsed


async def async_fleet(count: int, delay: float, repeats: int) -> float:
    async with AsyncFleet(servers(count, delay)) as fleet:
        return await best_async(fleet.dag_runs.list, repeats)


def sync_fleet(count: int, delay: float, repeats: int) -> float:
    with Fleet(servers(count, delay)) as fleet:
        return best(fleet.dag_runs.list, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,50,200", help="fleet sizes (comma-separated)")
    parser.add_argument("--delay", type=float, default=0.1, help="each server's answer delay (s)")
    parser.add_argument("--repeats", type=int, default=5, help="timed fleet calls per size")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    rows = []
    for count in (int(size) for size in args.sizes.split(",")):
        row = {
            "servers": count,
            "delay_s": args.delay,
            "sequential_s": sequential(count, args.delay),
            "async_fleet_s": asyncio.run(async_fleet(count, args.delay, args.repeats)),
            "fleet_s": sync_fleet(count, args.delay, args.repeats),
        }
        row["fleet_vs_delay"] = max(row["async_fleet_s"], row["fleet_s"]) / args.delay
        row["speedup"] = row["sequential_s"] / row["fleet_s"]
        rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"one list() across N servers, each answering after {args.delay * 1000:.0f} ms\n")
    print("| servers | sequential loop | AsyncFleet | Fleet (sync) | fleet / delay | speedup |")
    print("|--------:|----------------:|-----------:|-------------:|--------------:|--------:|")
    for r in rows:
        print(
            f"| {r['servers']} | {r['sequential_s']:.2f} s | {r['async_fleet_s'] * 1000:.0f} ms"
            f" | {r['fleet_s'] * 1000:.0f} ms | {r['fleet_vs_delay']:.2f}x"
            f" | {r['speedup']:.0f}x |"
        )
    worst = max(r["fleet_vs_delay"] for r in rows)
    verdict = "met" if worst <= 1.5 else "MISSED"
    print(f"\ntarget (fleet within 1.5x of one server's delay): {verdict}, worst {worst:.2f}x")


if __name__ == "__main__":
    main()
