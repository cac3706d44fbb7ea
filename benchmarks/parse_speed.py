"""How fast DagRun models are built from a real list response, next to the official clients.

Listing runs is the call whose cost grows with the data, so this measures what a caller pays
per run once the bytes have arrived: decoding plus building typed models. Every contender
gets the same bytes, a list response recorded from a live server (fixtures/) with its runs
repeated to --runs, so the comparison holds no network time and no synthetic data:

* `json.loads` alone (the floor any parser pays), and `orjson.loads` when installed (what
  a compiled decoder alone would take: airflow_bridge decodes with the stdlib);
* `json.loads` plus constructing the same frozen attrs `DagRun`s from finished values: the
  floor of any parser that returns these models (no conversion at all);
* airflow_bridge: `V2Adapter` / `V1Adapter` `.parse_page` on a `Reply`, as the clients do;
* apache-airflow-client 3.3.2 and 2.10.0, each in its own venv under `.bench/` (both import
  as `airflow_client.client`), driven call by call by `_client_worker.py`.

All contenders are interleaved call by call (`_report.interleave`); ratios are to
airflow_bridge.

    .venv/bin/python benchmarks/parse_speed.py [--runs 5000] [--rounds 15]
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

import attrs
from _report import REPO, WORK, Contender, Run, interleave, log
from _timing import timed
from _venvs import CLIENT, client_python
from airflow_bridge.adapters import Adapter, Reply, V1Adapter, V2Adapter

from airflow_bridge.models import DagRun, ServerInfo

FIXTURES = REPO / "fixtures"
WORKER = Path(__file__).with_name("_client_worker.py")
#: The largest recorded page first (limit=1000, capped at 100 runs); the others hold 5 runs.
FIXTURE_NAMES = ("list_limit_over_max.json", "list_all.json", "list_dag.json")
BRIDGE = "airflow_bridge"
ATTRS_FLOOR = "json.loads + attrs models (design floor)"


@dataclass(frozen=True)
class Generation:
    """One Airflow major version: the recorded server, our adapter, the official client."""

    label: str
    server_version: str
    api: str
    adapter: type[Adapter]
    client_version: str


GENERATIONS = (
    Generation("Airflow 3", "3.3.2", "v2", V2Adapter, "3.3.2"),
    Generation("Airflow 2", "2.10.5", "v1", V1Adapter, "2.10.0"),
)


def load_list_body(server_version: str) -> tuple[Path, dict[str, Any]]:
    """The first recorded 200 list response with runs, in FIXTURE_NAMES order."""
    for name in FIXTURE_NAMES:
        path = FIXTURES / server_version / name
        if not path.is_file():
            continue
        response = json.loads(path.read_text(encoding="utf-8"))["response"]
        body = response["body"]
        if response["status"] == 200 and isinstance(body, dict) and body.get("dag_runs"):
            return path, body
    raise SystemExit(f"no recorded list response with runs under {FIXTURES / server_version}")


def build_payload(generation: Generation, runs: int) -> tuple[Path, bytes, str]:
    """Repeat the recorded runs, cycling in order, up to `runs`; serialize once.

    The page keeps every other key the server sent (cursors, total_entries_limit), so each
    contender sees a complete response body, only longer than a server would page it.
    """
    fixture, body = load_list_body(generation.server_version)
    recorded = body["dag_runs"]
    page = {**body, "dag_runs": list(itertools.islice(itertools.cycle(recorded), runs))}
    page["total_entries"] = runs
    data = json.dumps(page, separators=(",", ":")).encode("utf-8")
    path = WORK / "payloads" / f"list-{generation.server_version}-{runs}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    where = (
        f"{fixture.relative_to(REPO)}: {len(recorded)} recorded runs repeated to {runs:,} "
        f"({len(data):,} bytes)"
    )
    return path, data, where


class Worker:
    """An official client's `_client_worker.py`, kept running for the whole benchmark."""

    def __init__(self, python: Path, payload: Path, clock: str) -> None:
        self.process = subprocess.Popen(
            [python, WORKER, payload, clock],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=WORK,  # not the repository root: its airflow_bridge/ lacks the adapters
        )
        hello = json.loads(self._stdout().readline())
        self.version: str = hello["version"]
        self.libraries: dict[str, str] = hello["libraries"]
        self.contenders: list[str] = hello["contenders"]

    def _stdout(self) -> IO[str]:
        assert self.process.stdout is not None
        return self.process.stdout

    def call(self, name: str) -> tuple[float, int]:
        assert self.process.stdin is not None
        self.process.stdin.write(name + "\n")
        self.process.stdin.flush()
        line = self._stdout().readline()
        if not line:
            raise SystemExit(f"the {CLIENT} {self.version} worker died")
        answer = json.loads(line)
        return answer["seconds"], answer["runs"]

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("\n")
        self.process.stdin.close()
        self.process.wait(timeout=60)


def checked(call: Callable[[], tuple[float, int]], what: str, runs: int) -> Callable[[], float]:
    """A sample function that refuses a contender which did not build every run."""

    def sample() -> float:
        seconds, built = call()
        if built != runs:
            raise SystemExit(f"{what} built {built} runs, expected {runs}")
        return runs / seconds  # runs/s: the unit of this benchmark

    return sample


def _orjson() -> Callable[[bytes], Any] | None:
    """orjson's decoder when installed (the `bench` extra): what a compiled decoder alone takes."""
    try:
        return cast(Callable[[bytes], Any], importlib.import_module("orjson").loads)
    except ImportError:
        return None


def contenders_for(
    generation: Generation, data: bytes, runs: int, worker: Worker, clock: str
) -> list[Contender]:
    server = ServerInfo(base_url="http://bench", api=generation.api)
    adapter = generation.adapter(server)

    def bridge() -> Any:
        return adapter.parse_page(Reply(status=200, headers={}, content=data))

    name = generation.adapter.__name__
    built = [attrs.asdict(run, recurse=False) for run in bridge().runs]

    def attrs_floor() -> int:
        """Decoding plus constructing the same frozen attrs models from finished values:
        what any parser producing these models pays, with no conversion at all."""
        json.loads(data)
        return len([DagRun(**values) for values in built])

    found: list[tuple[str, str, Callable[[], tuple[float, int]]]] = [
        ("json.loads", "json.loads(bytes)", lambda: timed(lambda: json.loads(data), clock)),
        (ATTRS_FLOOR, "json.loads + DagRun(**values) x runs", lambda: timed(attrs_floor, clock)),
        (BRIDGE, f"{name}.parse_page", lambda: timed(bridge, clock)),
    ]
    orjson = _orjson()
    if orjson is not None:
        decode = orjson
        found.append(
            ("orjson.loads", "orjson.loads(bytes)", lambda: timed(lambda: decode(data), clock))
        )
    for call in worker.contenders:
        label = f"{CLIENT} {worker.version}"
        found.append((f"{label} {call}", call, lambda call=call: worker.call(call)))
    return [Contender(n, c, checked(s, n, runs)) for n, c, s in found]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5000, help="runs per payload (5000)")
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds (15)")
    parser.add_argument(
        "--clock", choices=("cpu", "wall"), default="cpu", help="see _timing.py (cpu)"
    )
    args = parser.parse_args()
    run = Run("parse_speed")
    notes = []
    for generation in GENERATIONS:
        path, data, where = build_payload(generation, args.runs)
        worker = Worker(client_python(generation.client_version), path, args.clock)
        try:
            contenders = contenders_for(generation, data, args.runs, worker, args.clock)
            log(f"{generation.label}: {len(contenders)} contenders x {args.rounds} rounds ...")
            interleave(contenders, args.rounds)
        finally:
            worker.close()
        for contender in contenders:
            contender.note = f"{where}; clock: {args.clock}"
        run.add(generation.label, contenders, unit="runs/s", reference=BRIDGE)
        libraries = ", ".join(f"{k} {v}" for k, v in worker.libraries.items()) or "no pydantic"
        notes.append(f"{generation.label}: {where}; {CLIENT} {worker.version} ({libraries})")
    run.print_samples()
    print("\n" + "\n".join(notes))
    print(f"wrote {run.write().relative_to(REPO)}")


if __name__ == "__main__":
    main()
