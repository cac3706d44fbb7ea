"""A fleet query over 1,000 real loopback servers 100 ms away, and what each server costs
(issue 13, target 6).

`_fleet_server.py` (its own process) listens on one 127.0.0.1 port per simulated Airflow 3
server and answers every list after --delay seconds; so unlike fanout.py (in-process
transports) every server here is a real TCP connection, with its socket, buffers and HTTP
parsing. Per fleet size, interleaved, each sample a fresh fleet (clients built, one untimed
warm call that opens every connection, then the timed call):

* `AsyncFleet` with its default `max_concurrency` (256 servers worked on at once);
* `AsyncFleet(max_concurrency=N)`: every server at once;
* `Fleet(max_concurrency=N)`: the sync fleet (the same fan-out on its loop thread).

Beside the times, per server: the open file descriptors and resident memory an
`AsyncFleet(max_concurrency=N)` adds once its warm call has connected to every server
(`/proc/self/fd`, `VmRSS` of `/proc/self/status`, and the Python heap by tracemalloc, each
divided by N), measured in a fresh interpreter per round so no earlier fleet's freed memory
is reused; and the CPU time the timed call used (`time.process_time`, all threads) divided
by N, from the timed samples: the client-side cost per server, which on one event loop
bounds the fan-out from below at N x that. The process raises its own
open-file soft limit to the hard limit (`resource.setrlimit`) before starting: 1,000
connections plus the interpreter's files pass the common default soft limit of 1,024.

    .venv/bin/python benchmarks/fleet_scale.py [--sizes 200,1000] [--delay 0.1] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import httpx
from _fleet_server import raise_fd_limit
from _report import REPO, Contender, Run, interleave, log

from airflow_bridge.fleet import AsyncFleet, Fleet, Server

SERVER = Path(__file__).with_name("_fleet_server.py")


@contextmanager
def serving(count: int, delay: float) -> Iterator[list[str]]:
    command = [sys.executable, str(SERVER), str(count), str(delay)]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as p:
        assert p.stdout is not None and p.stdin is not None
        ports = p.stdout.readline().split()
        try:
            yield [f"http://127.0.0.1:{port}" for port in ports]
        finally:
            p.stdin.close()


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def rss_kib() -> int:
    status = Path("/proc/self/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) if match else 0


def fleet_servers(urls: list[str]) -> dict[str, Server]:
    return {f"s{i}": Server(url, api="v2", token="t") for i, url in enumerate(urls)}


def checked(result: Any, count: int) -> None:
    if not (result.ok and len(result) == count):
        raise SystemExit(f"a fleet call over {count} servers did not list every run")


class Costs:
    """Per-server costs: fds and memory from fresh interpreters, CPU from the timed calls."""

    def __init__(self) -> None:
        self.fds: list[float] = []
        self.rss: list[float] = []
        self.heap: list[float] = []
        self.own_tls: list[float] = []
        self.cpu: list[float] = []

    def measure(self, urls: list[str]) -> None:
        """Fresh interpreters' fds and memory per server (`--child`): RSS without tracing
        (tracemalloc's own bookkeeping would count), the Python heap with it."""
        figures = {}
        for mode in ("rss", "heap", "own-tls"):
            command = [sys.executable, "-W", "ignore", __file__, "--child", mode]
            out = subprocess.run(
                command, input=" ".join(urls), capture_output=True, text=True, check=True
            )
            figures[mode] = [float(value) for value in out.stdout.split()]
        self.fds.append(figures["rss"][0])
        self.rss.append(figures["rss"][1])
        self.heap.append(figures["heap"][2])
        self.own_tls.append(figures["own-tls"][1])


def child(mode: str) -> None:
    """Print the fds, RSS KiB and Python heap KiB per server of a connected AsyncFleet."""
    import tracemalloc

    raise_fd_limit()
    urls = sys.stdin.read().split()
    asyncio.run(_warm(urls))  # imports, the event loop's own files, converters
    fds, rss = open_fds(), rss_kib()
    if mode == "heap":
        tracemalloc.start()

    servers = fleet_servers(urls)
    if mode == "own-tls":  # as before the shared context: an httpx transport (and CA bundle) each
        servers = {name: attrs.evolve(s, transport=httpx.AsyncHTTPTransport())
                   for name, s in servers.items()}  # fmt: skip

    async def connected() -> tuple[int, int, float]:
        async with AsyncFleet(servers, max_concurrency=len(urls)) as fleet:
            checked(await fleet.dag_runs.list(), len(urls))
            return open_fds(), rss_kib(), tracemalloc.get_traced_memory()[0] / 1024

    after_fds, after_rss, heap = asyncio.run(connected())
    count = len(urls)
    print((after_fds - fds) / count, (after_rss - rss) / count, heap / count)


async def _warm(urls: list[str]) -> None:
    async with AsyncFleet(fleet_servers(urls[:1])) as fleet:
        checked(await fleet.dag_runs.list(), 1)


def async_fleet(urls: list[str], limit: int | None, costs: Costs | None) -> float:
    count = len(urls)

    async def run() -> float:
        options = {} if limit is None else {"max_concurrency": limit}
        async with AsyncFleet(fleet_servers(urls), **options) as fleet:
            checked(await fleet.dag_runs.list(), count)  # builds clients, opens connections
            cpu, started = time.process_time(), time.perf_counter()
            result = await fleet.dag_runs.list()
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu
            checked(result, count)
            if costs is not None:
                costs.cpu.append(cpu / count * 1e6)
            return elapsed

    return asyncio.run(run())


def sync_fleet(urls: list[str]) -> float:
    with Fleet(fleet_servers(urls), max_concurrency=len(urls)) as fleet:
        checked(fleet.dag_runs.list(), len(urls))
        started = time.perf_counter()
        result = fleet.dag_runs.list()
        elapsed = time.perf_counter() - started
        checked(result, len(urls))
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="200,1000", help="fleet sizes (comma-separated)")
    parser.add_argument("--delay", type=float, default=0.1, help="each server's delay (s)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per size (3)")
    parser.add_argument("--child", choices=("rss", "heap", "own-tls"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    limit = raise_fd_limit()
    log(f"open-file limit raised to {limit}")
    run = Run("fleet_scale")
    for count in (int(size) for size in args.sizes.split(",")):
        costs = Costs()
        with serving(count, args.delay) as urls:
            contenders = [
                Contender("AsyncFleet (max_concurrency 256)", "await AsyncFleet.dag_runs.list()",
                          lambda urls=urls: async_fleet(urls, None, None)),
                Contender("AsyncFleet (max_concurrency N)",
                          "await AsyncFleet(max_concurrency=N).dag_runs.list()",
                          lambda urls=urls, costs=costs: async_fleet(urls, len(urls), costs)),
                Contender("Fleet (max_concurrency N)", "Fleet(max_concurrency=N).dag_runs.list()",
                          lambda urls=urls: sync_fleet(urls)),
            ]  # fmt: skip
            log(f"{count} loopback servers: {args.rounds} interleaved rounds ...")
            interleave(contenders, args.rounds, warmup=0)  # each sample warms its own fleet
            for _ in range(args.rounds):
                costs.measure(urls)
        for contender in contenders:
            contender.note = f"delay {args.delay:g} s"
        run.add(f"{count}", contenders, unit="s", reference=None)
        per_server = [
            Contender("open file descriptors", "per server, after the warm call", lambda: 0.0,
                      samples=costs.fds),
            Contender("resident memory (KiB)", "per server, after the warm call", lambda: 0.0,
                      samples=costs.rss),
            Contender("Python heap (KiB)", "per server, after the warm call", lambda: 0.0,
                      samples=costs.heap),
            Contender("resident memory, a CA bundle per client (KiB)",
                      "per server, each client loading its own TLS context (before)",
                      lambda: 0.0, samples=costs.own_tls),
            Contender("CPU time (µs)", "per server, in the timed call", lambda: 0.0,
                      samples=costs.cpu),
        ]  # fmt: skip
        run.add(f"{count} per server", per_server, unit="per server", reference=None)
    run.print_samples()
    print(f"wrote {run.write().relative_to(REPO)}")


if __name__ == "__main__":
    main()
