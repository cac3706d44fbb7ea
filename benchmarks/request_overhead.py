"""What one `get` of a run costs over the transport it rides on, from a loopback server.

A stdlib HTTP/1.1 keep-alive server in its own process (`_loopback.py`) answers every GET
with one run recorded from Airflow 3.3.2. Each sample is --calls sequential calls; the
contenders take turns call batch by call batch (`_report.interleave`). The defaults, 20
rounds of 100 calls (2,000 calls a contender), give the median ratio twice the samples of
10 x 200: on a 2-core machine shared with other benchmarks, airflow_bridge's ratio moved
within 1-2 points across runs of the same code, against 3-7 points with 10 x 200.

* raw `httpx.Client().get(url)` + `json.loads`: the transport airflow_bridge uses, bare;
* airflow_bridge `Client(api="v2", token=...).dag_runs.get(dag_id, run_id)` (no detection
  or login on the way: both are one-off costs);
* apache-airflow-client 3.3.2 `DagRunApi.get_dag_run` and raw urllib3 `PoolManager` GET +
  `json.loads`, in the client's venv (`_request_worker.py`).

Figures are microseconds per call (median of rounds) and each contender's time over raw
httpx's, round by round. Target (issue 13): airflow_bridge within 5 % of raw httpx.

    .venv/bin/python benchmarks/request_overhead.py [--calls 100] [--rounds 20]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import httpx
from _report import REPO, WORK, Contender, Run, interleave, log
from _venvs import CLIENT, client_python

from airflow_bridge import Client

HERE = Path(__file__).resolve().parent
FIXTURE = REPO / "fixtures" / "3.3.2" / "list_limit_over_max.json"
CLIENT_VERSION = "3.3.2"


class Process:
    """A helper process speaking JSON lines; closed by closing its stdin."""

    def __init__(self, command: list[str | Path]) -> None:
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=WORK
        )

    def _out(self) -> IO[str]:
        assert self.process.stdout is not None
        return self.process.stdout

    def read(self) -> Any:
        line = self._out().readline()
        if not line:
            raise SystemExit(f"{self.process.args} died")
        return json.loads(line)

    def send(self, line: str) -> Any:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self.read()

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("\n")
        self.process.stdin.close()
        self.process.wait(timeout=30)


def per_call(calls: int, call: Callable[[], Any]) -> Callable[[], float]:
    def sample() -> float:
        start = time.perf_counter()
        for _ in range(calls):
            call()
        return (time.perf_counter() - start) / calls * 1e6  # µs per call

    return sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100, help="sequential calls a sample")
    parser.add_argument("--rounds", type=int, default=20, help="interleaved rounds (20)")
    args = parser.parse_args()
    result = Run("request_overhead")  # records the load average now, and again when it writes
    run_body = json.loads(FIXTURE.read_text())["response"]["body"]["dag_runs"][0]
    body = WORK / "payloads" / "one-run-3.3.2.json"
    body.parent.mkdir(parents=True, exist_ok=True)
    body.write_text(json.dumps(run_body))
    dag_id, run_id = run_body["dag_id"], run_body["dag_run_id"]
    server = Process([sys.executable, HERE / "_loopback.py", body])
    assert server.process.stdout is not None
    base_url = f"http://127.0.0.1:{int(server.process.stdout.readline())}"
    worker = Process(
        [client_python(CLIENT_VERSION), HERE / "_request_worker.py", base_url, dag_id, run_id]
    )
    url = f"{base_url}/api/v2/dags/{dag_id}/dagRuns/{run_id}"
    headers = {"Authorization": "Bearer t", "Accept": "application/json"}
    try:
        with httpx.Client() as raw, Client(base_url, api="v2", token="t") as bridge:

            def raw_get() -> Any:
                return json.loads(raw.get(url, headers=headers).content)

            contenders = [
                Contender("httpx GET + json.loads", "httpx.Client().get(url)",
                          per_call(args.calls, raw_get)),
                Contender("airflow_bridge", "Client.dag_runs.get",
                          per_call(args.calls, lambda: bridge.dag_runs.get(dag_id, run_id))),
            ]  # fmt: skip
            for name in worker.read()["contenders"]:
                label = name if name.startswith("urllib3") else f"{CLIENT} {CLIENT_VERSION} {name}"
                contenders.append(
                    Contender(label, name, lambda name=name: worker.send(f"{name} {args.calls}")
                              ["seconds"] / args.calls * 1e6)
                )  # fmt: skip
            log(f"{len(contenders)} contenders x {args.rounds} rounds of {args.calls} GETs ...")
            interleave(contenders, args.rounds)
    finally:
        worker.close()
        server.close()
    for contender in contenders:
        contender.note = f"{args.calls} sequential GETs a round"
    result.add("one run, loopback", contenders, unit="µs/call", reference=contenders[0].name)
    result.print_samples()
    bridge_row = next(r for r in result.rows if r["contender"] == "airflow_bridge")
    over = (bridge_row["ratio_median"] - 1) * 100
    verdict = "met" if over <= 5 else "MISSED"
    print(f"\ntarget airflow_bridge within 5% of raw httpx: {verdict} ({over:+.1f}%)")
    print(f"wrote {result.write().relative_to(REPO)}")


if __name__ == "__main__":
    main()
