"""Listing 20,000 runs in 100-run pages from a loopback server 20 ms away (issue 13, target 3).

Two loopback servers (`_runs_server.py`, each its own process, HTTP/1.1 keep-alive, a thread
per connection, every answer after --delay seconds): one answers offset pages only (as
Airflow 2 and Airflow 3 before 3.2.2 do), the other keyset pages (`cursor`, as 3.2.2+ do).
Interleaved contenders, wall clock (the time is mostly waiting):

* offset, sequential: `Client.dag_runs.list(page_size=100)` with fetching ahead switched
  off (`_prefetch.AHEAD = 1`: one page at a time, the walk before this change);
* offset, httpx loop: a plain sequential loop of `httpx.Client.get` + `V1Adapter.parse_page`
  (the same walk without airflow_bridge's plans, for reference);
* offset, `Client` and `AsyncClient`: `dag_runs.list(page_size=100)` as shipped: after the
  first page, the next ones are fetched together in batches of up to 10 (the default
  `max_concurrency`);
* keyset, `Client`: the keyset walk, which cannot fetch ahead (each page needs the cursor
  the previous one returned).

Before the rounds, every contender's result is checked to be the sequential walk's: the same
runs, in the same order. Ratios are per round, to the offset sequential walk.

    .venv/bin/python benchmarks/pagination.py [--runs 20000] [--delay 0.02] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from _report import REPO, Contender, Run, interleave, log
from airflow_bridge.adapters import Reply, V1Adapter

from airflow_bridge import AsyncClient, Client, _prefetch
from airflow_bridge.models import DagRun, ServerInfo

SERVER = Path(__file__).with_name("_runs_server.py")
PAGE = 100


@contextmanager
def serving(total: int, api: str, delay: float, keyset: bool) -> Iterator[str]:
    """A loopback server's base URL, for as long as the block runs."""
    command = [sys.executable, str(SERVER), str(total), api, str(delay),
               "keyset" if keyset else "offset"]  # fmt: skip
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as p:
        assert p.stdout is not None and p.stdin is not None
        port = p.stdout.readline().strip()
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            p.stdin.close()


def timed(walk: Callable[[], list[Any]], expected: int) -> float:
    started = time.perf_counter()
    runs = walk()
    elapsed = time.perf_counter() - started
    if len(runs) != expected:
        raise SystemExit(f"a walk listed {len(runs)} runs, expected {expected}")
    return elapsed


@contextmanager
def sequential_walks() -> Iterator[None]:
    before = _prefetch.AHEAD
    _prefetch.AHEAD = 1
    try:
        yield
    finally:
        _prefetch.AHEAD = before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20000, help="runs listed (20000)")
    parser.add_argument("--delay", type=float, default=0.02, help="the server's delay (s)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (5)")
    args = parser.parse_args()
    total = args.runs
    with (
        serving(total, "v1", args.delay, keyset=False) as offset_url,
        serving(total, "v2", args.delay, keyset=True) as keyset_url,
    ):
        offset_client = Client(offset_url, api="v1", token="t")
        keyset_client = Client(keyset_url, api="v2", token="t")
        raw = httpx.Client()
        adapter = V1Adapter(ServerInfo(base_url=offset_url, api="v1"))
        loop = asyncio.new_event_loop()
        async_client = AsyncClient(offset_url, api="v1", token="t")

        def sequential() -> list[DagRun]:
            with sequential_walks():
                return offset_client.dag_runs.list(page_size=PAGE)

        def httpx_loop() -> list[DagRun]:
            runs: list[DagRun] = []
            while True:
                params = {"limit": PAGE, "offset": len(runs)}
                response = raw.get(f"{offset_url}/api/v1/dags/~/dagRuns", params=params)
                reply = Reply(response.status_code, dict(response.headers), response.content,
                              "GET", str(response.url))  # fmt: skip
                page = adapter.parse_page(reply)
                runs += page.runs
                if not page.runs or len(runs) >= (page.total_entries or 0):
                    return runs

        def ahead() -> list[DagRun]:
            return offset_client.dag_runs.list(page_size=PAGE)

        def async_ahead() -> list[DagRun]:
            return loop.run_until_complete(async_client.dag_runs.list(page_size=PAGE))

        def keyset() -> list[DagRun]:
            return keyset_client.dag_runs.list(page_size=PAGE)

        walks: dict[str, tuple[str, Callable[[], list[DagRun]]]] = {
            "offset, sequential": ("Client.dag_runs.list(), one page at a time", sequential),
            "offset, httpx loop": ("httpx GET + V1Adapter.parse_page, one page at a time",
                                   httpx_loop),
            "offset, Client": ("Client.dag_runs.list() (pages ahead)", ahead),
            "offset, AsyncClient": ("await AsyncClient.dag_runs.list() (pages ahead)",
                                    async_ahead),
            "keyset, Client": ("Client.dag_runs.list() on keyset pages", keyset),
        }  # fmt: skip
        log("checking every walk lists what the sequential walk lists ...")
        reference = [(r.dag_id, r.run_id) for r in sequential()]
        if len(reference) != total or len(set(reference)) != total:
            raise SystemExit("the sequential walk did not list every run once")
        for name, (_, walk) in walks.items():
            got = [(r.dag_id, r.run_id) for r in walk()]
            if got != reference:
                raise SystemExit(f"{name} listed other runs or another order")
        contenders = [
            Contender(name, call, lambda walk=walk: timed(walk, total),
                      note=f"{total} runs, pages of {PAGE}, delay {args.delay:g} s")
            for name, (call, walk) in walks.items()
        ]  # fmt: skip
        log(f"{len(contenders)} walks x {args.rounds} interleaved rounds ...")
        run = Run("pagination")
        interleave(contenders, args.rounds, warmup=0)  # the checks above warmed every walk
        rows = run.add("walk", contenders, unit="s", reference="offset, sequential")
        loop.run_until_complete(async_client.aclose())
        loop.close()
        offset_client.close()
        keyset_client.close()
        raw.close()
    run.print_samples()
    speedup = min(1 / float(r["ratio_median"]) for r in rows if r["contender"].startswith(
        ("offset, Client", "offset, AsyncClient")))  # fmt: skip
    verdict = "met" if speedup >= 4 else "MISSED"
    print(f"\ntarget (>= 4x the sequential walk): {verdict}, {speedup:.2f}x")
    print(f"wrote {run.write().relative_to(REPO)}")


if __name__ == "__main__":
    main()
