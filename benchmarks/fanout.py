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
The three are interleaved over --rounds rounds per size (each fleet warmed with one untimed
call before its timed one); figures are medians. The target: a fleet query stays within
1.5x of one server's delay up to 200 servers.

    .venv/bin/python benchmarks/fanout.py [--sizes 10,50,200] [--delay 0.1] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

import httpx
from _report import REPO, Contender, Run, interleave, log

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


def checked(result: Any, count: int) -> None:
    if not (result.ok and len(result) == count):
        raise SystemExit(f"a fleet call over {count} servers did not list every run")


def sequential(count: int, delay: float) -> float:
    clients = [
        Client(f"http://s{i}:8080", api="v2", token="t", transport=SlowSyncServer(delay))
        for i in range(count)
    ]
    started = time.perf_counter()
    runs = [run for client in clients for run in client.dag_runs.list()]
    elapsed = time.perf_counter() - started
    if len(runs) != count:
        raise SystemExit(f"the sequential loop listed {len(runs)} runs, expected {count}")
    return elapsed


def async_fleet(count: int, delay: float) -> float:
    """One timed `AsyncFleet` list, after an untimed one (connection pools, imports)."""

    async def run() -> float:
        async with AsyncFleet(servers(count, delay)) as fleet:
            await fleet.dag_runs.list()
            started = time.perf_counter()
            result = await fleet.dag_runs.list()
            elapsed = time.perf_counter() - started
            checked(result, count)
            return elapsed

    return asyncio.run(run())


def sync_fleet(count: int, delay: float) -> float:
    """One timed sync `Fleet` list, after an untimed one."""
    with Fleet(servers(count, delay)) as fleet:
        fleet.dag_runs.list()
        started = time.perf_counter()
        result = fleet.dag_runs.list()
        elapsed = time.perf_counter() - started
        checked(result, count)
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,50,200", help="fleet sizes (comma-separated)")
    parser.add_argument("--delay", type=float, default=0.1, help="each server's answer delay (s)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per size (3)")
    args = parser.parse_args()
    run = Run("fanout")
    worst = 0.0
    for count in (int(size) for size in args.sizes.split(",")):
        contenders = [
            Contender("sequential loop", "Client.dag_runs.list() per server",
                      lambda count=count: sequential(count, args.delay)),
            Contender("AsyncFleet", "await AsyncFleet.dag_runs.list()",
                      lambda count=count: async_fleet(count, args.delay)),
            Contender("Fleet", "Fleet.dag_runs.list()",
                      lambda count=count: sync_fleet(count, args.delay)),
        ]  # fmt: skip
        log(f"{count} servers: {args.rounds} interleaved rounds ...")
        interleave(contenders, args.rounds, warmup=0)  # each fleet call is warmed on its own
        for contender in contenders:
            contender.note = f"delay {args.delay:g} s"
        for row in run.add(f"{count}", contenders, unit="s", reference="sequential loop"):
            if row["contender"] != "sequential loop":
                worst = max(worst, row["median"] / args.delay)
    run.print_samples()
    verdict = "met" if worst <= 1.5 else "MISSED"
    print(f"\ntarget (fleet within 1.5x of one server's delay): {verdict}, worst {worst:.2f}x")
    print(f"wrote {run.write().relative_to(REPO)}")


if __name__ == "__main__":
    main()
