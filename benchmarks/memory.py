"""Peak memory of listing N runs with `iter()` and with `list()` (issue 13, target 4).

Each measurement is a fresh interpreter (`python memory.py --child ...`), so one walk's
high-water mark cannot hide another's. The child imports everything and walks one page
first, then walks N runs from `_runs_server.transport` (in-process: no socket, no server
thread; the server holds one page at a time), consuming each run and dropping it (`iter()`)
or keeping the list (`list()`). Two figures per walk, each from its own child:

* peak RSS growth: `resource.getrusage(RUSAGE_SELF).ru_maxrss` after the walk minus before it
  (KiB on Linux): what the operating system sees, the target's own measure. It includes
  allocator slack and freed memory the process keeps, so it moves by a few hundred KiB;
* tracemalloc peak: the largest Python heap the walk held at once
  (`tracemalloc.get_traced_memory()[1]` with tracing started right before the walk): exact
  and repeatable, Python objects only. Tracing slows the walk, so the RSS child runs without.

Walks: Airflow 3 (`api="v2"`, keyset pages as 3.2.2+ answer) and Airflow 2 (`api="v1"`,
offset pages), in the servers' default order (id ascending: the Pager remembers the last
page only), and Airflow 2 newest first (`order_by="-id"`: the Pager remembers every run).

    .venv/bin/python benchmarks/memory.py [--counts 10000,50000,100000] [--rounds 1]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

from _report import REPO, Contender, Run, interleave, log

WALKS = {  # name -> (api, order_by)
    "Airflow 3 keyset": ("v2", None),
    "Airflow 2 offset": ("v1", None),
    "Airflow 2 offset, order_by=-id": ("v1", "-id"),
}


def child(walk: str, mode: str, count: int, measure: str) -> None:
    import gc
    import resource
    import tracemalloc

    from _runs_server import transport

    from airflow_bridge import Client

    api, order_by = WALKS[walk]
    filters: dict[str, Any] = {"order_by": order_by} if order_by else {}
    client = Client("http://127.0.0.1:8080", api=api, token="t", transport=transport(count, api))
    for _ in client.dag_runs.iter(limit=100, **filters):  # imports, converters, connection
        pass
    gc.collect()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if measure == "tracemalloc":
        tracemalloc.start()
    seen = 0
    if mode == "iter()":
        for _run in client.dag_runs.iter(**filters):
            seen += 1
    else:
        seen = len(client.dag_runs.list(**filters))
    if measure == "tracemalloc":
        peak_kib = tracemalloc.get_traced_memory()[1] / 1024
    else:
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    if seen != count:
        raise SystemExit(f"{walk} {mode}: listed {seen} runs, expected {count}")
    print(json.dumps({"kib": peak_kib}))


def measured(walk: str, mode: str, count: int, measure: str) -> float:
    """MiB, from a fresh interpreter."""
    command = [sys.executable, __file__, "--child", walk, mode, str(count), measure]
    out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=REPO)
    kib: float = json.loads(out.stdout.splitlines()[-1])["kib"]
    return kib / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", default="10000,50000,100000", help="runs listed per walk")
    parser.add_argument("--rounds", type=int, default=1, help="fresh processes per figure (1)")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        walk, mode, count, measure = args.child
        child(walk, mode, int(count), measure)
        return
    run = Run("memory")
    counts = [int(c) for c in args.counts.split(",")]
    for measure in ("rss", "tracemalloc"):
        for walk in WALKS:
            contenders = [
                Contender(f"{mode} {count:,}", f"{walk}: dag_runs.{mode} of {count:,} runs",
                          lambda m=mode, c=count, w=walk, s=measure: measured(w, m, c, s),
                          note=f"{walk}; {measure}")
                for mode in ("iter()", "list()") for count in counts
            ]  # fmt: skip
            log(f"{walk}, {measure}: {len(contenders)} fresh processes x {args.rounds} ...")
            interleave(contenders, args.rounds, warmup=0)
            run.add(f"{walk} | {measure}", contenders, unit="MiB", reference=None)
    run.print_samples()
    print(f"wrote {run.write().relative_to(REPO)}")


if __name__ == "__main__":
    main()
