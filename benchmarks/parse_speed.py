"""How fast DagRun models are built from a real list response, next to the official clients.

Listing runs is the call whose cost grows with the data, so this measures what a caller pays
per run once the bytes have arrived: decoding plus building typed models. Every contender
gets the same bytes, a list response recorded from a live server (fixtures/) with its runs
repeated to --runs, so the comparison holds no network time and no synthetic data:

* `json.loads` alone: the floor any parser pays.
* airflow_bridge: `V2Adapter` / `V1Adapter` `.parse_page` on a `Reply`, as the clients do.
* apache-airflow-client 3.3.2 and 2.10.0, each in its own venv under `.bench/` (both import
  as `airflow_client.client`), driven by `_client_worker.py` in a subprocess.

It also times `import airflow_bridge` against `import airflow_client.client`, since a CLI or
a short task pays the import on every start. Run it with the project's venv:

    .venv/bin/python benchmarks/parse_speed.py [--json]

The first run creates the client venvs with pip (a few seconds); later runs reuse them.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _timing import best_of
from airflow_bridge.adapters import Adapter, Reply, V1Adapter, V2Adapter

from airflow_bridge.models import ServerInfo

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
WORK = REPO / ".bench"  # git-ignored: the client venvs and the replicated payloads
WORKER = Path(__file__).with_name("_client_worker.py")
#: The largest recorded page first (limit=1000, capped at 100 runs); the others hold 5 runs.
FIXTURE_NAMES = ("list_limit_over_max.json", "list_all.json", "list_dag.json")
TARGET_RUNS_PER_S = 50_000
TARGET_IMPORT_MS = 150.0
CLIENT = "apache-airflow-client"
#: Runs in a fresh interpreter: only the import is on the clock, not the interpreter's start.
IMPORT_PROBE = "import time; t = time.perf_counter(); import {}; print(time.perf_counter() - t)"


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


@dataclass(frozen=True)
class Payload:
    """The replicated list response, in memory and on disk for the client workers."""

    generation: Generation
    fixture: Path
    recorded_runs: int
    runs: int
    data: bytes
    path: Path


@dataclass(frozen=True)
class Timing:
    contender: str
    call: str
    payload: Payload
    seconds: float

    @property
    def runs_per_s(self) -> float:
        return self.payload.runs / self.seconds


@dataclass(frozen=True)
class ImportTime:
    """Median and fastest of the samples: the median is the figure, the fastest shows how
    much of it a busy machine added."""

    module: str
    installed: str
    ms: float
    min_ms: float


def log(message: str) -> None:
    """Progress goes to stderr, so that `--json` output on stdout stays parseable."""
    print(message, file=sys.stderr, flush=True)


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
    raise SystemExit(
        f"no recorded list response with runs under {FIXTURES / server_version} "
        f"(looked for {', '.join(FIXTURE_NAMES)}); record the fixtures first"
    )


def build_payload(generation: Generation, runs: int) -> Payload:
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
    return Payload(generation, fixture, len(recorded), runs, data, path)


def time_in_process(payload: Payload, repeats: int) -> list[Timing]:
    """The floor (`json.loads`) and airflow_bridge, in this interpreter."""
    generation = payload.generation
    server = ServerInfo(
        base_url="http://bench", api=generation.api, version=generation.server_version
    )
    adapter = generation.adapter(server)

    def bridge() -> int:
        return len(adapter.parse_page(Reply(status=200, headers={}, content=payload.data)).runs)

    def floor() -> int:
        return len(json.loads(payload.data)["dag_runs"])

    timings = []
    for contender, call, parse in (
        ("json.loads", "json.loads(bytes)", floor),
        ("airflow_bridge", f"{generation.adapter.__name__}.parse_page", bridge),
    ):
        seconds, built = best_of(parse, repeats)
        if built != payload.runs:
            raise SystemExit(f"{contender} built {built} runs, expected {payload.runs}")
        timings.append(Timing(contender, call, payload, seconds))
    return timings


def client_python(version: str) -> Path:
    """The python of `.bench/airflow-client-VERSION`, a venv created on first use.

    It is built from the interpreter running this script (the venv module uses the base
    installation), so every contender runs on the same Python.
    """
    venv = WORK / f"airflow-client-{version}"
    python = venv / "bin" / "python"
    if python.exists() and _installed_version(python) == version:
        return python
    log(f"installing {CLIENT}=={version} into {venv.relative_to(REPO)} ...")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    _pip(python, "install", "--quiet", f"{CLIENT}=={version}")
    return python


def bridge_python() -> Path:
    """The python of `.bench/airflow-bridge`: this checkout installed as a user gets it.

    `pip install .` without extras, reinstalled every run so the figure is of the code as it
    is now. The project's .venv is not used for the import figure: its `cli` extra installs
    click, and with click present `import httpx` also loads httpx's own command line module.
    """
    venv = WORK / "airflow-bridge"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    _pip(python, "install", "--quiet", "--force-reinstall", "--no-deps", str(REPO))
    _pip(python, "install", "--quiet", str(REPO))
    return python


def _installed_version(python: Path) -> str | None:
    probe = f"from importlib.metadata import version; print(version({CLIENT!r}))"
    done = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else None


def _pip(python: Path, *args: str) -> None:
    """pip without its noise: this machine's pip config names local indexes that pip warns
    it ignores ("WARNING: Location 'file:///opt/pypi…' is ignored") on every resolution."""
    done = subprocess.run([python, "-m", "pip", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        output = (done.stdout + done.stderr).splitlines()
        kept = "\n".join(line for line in output if "is ignored" not in line)
        raise SystemExit(f"pip {' '.join(args)} failed:\n{kept}")


def time_client(payload: Payload, repeats: int, python: Path) -> tuple[list[Timing], Any]:
    """The official client for this payload's generation, in its own venv and process.

    Also returns the worker's model library versions (pydantic for 3.x), for the report.
    """
    version = payload.generation.client_version
    command: list[str | Path] = [python, WORKER, payload.path, str(repeats)]
    report = json.loads(_output(command, f"the {CLIENT} {version} worker"))
    contender = f"{CLIENT} {report['version']}"
    timings = [
        Timing(contender, result["call"], payload, result["seconds"])
        for result in report["results"]
    ]
    return timings, report["libraries"]


def import_times(pythons: dict[str, Path], samples: int) -> list[ImportTime]:
    """Median import times in fresh interpreters, airflow_bridge first.

    One untimed import each writes the bytecode caches; then the modules take turns, sample
    by sample, so that a burst of load on the machine hits all of them alike. The probes run
    from `.bench/` so that the repository root, which holds an `airflow_bridge/` directory
    but not its `adapters` subpackage, is not on sys.path.
    """
    probes = [("airflow_bridge", "airflow_bridge (pip install .)", bridge_python())]
    probes += [("airflow_client.client", f"{CLIENT} {v}", py) for v, py in pythons.items()]

    def once(module: str, python: Path) -> float:
        probe = IMPORT_PROBE.format(module)
        return float(_output([python, "-c", probe], f"import {module}")) * 1000

    for module, _, python in probes:
        once(module, python)
    samples_ms: dict[str, list[float]] = {installed: [] for _, installed, _ in probes}
    for _ in range(samples):
        for module, installed, python in probes:
            samples_ms[installed].append(once(module, python))
    return [
        ImportTime(
            module, installed, statistics.median(samples_ms[installed]), min(samples_ms[installed])
        )
        for module, installed, _ in probes
    ]


def _output(command: list[str | Path], what: str) -> str:
    """stdout of a helper interpreter run from `.bench/`; its stderr if it fails.

    Other people edit the working tree while this runs, so a failing import must say why.
    """
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=WORK)
    if done.returncode != 0:
        raise SystemExit(f"{what} failed:\n{done.stderr}")
    return done.stdout


def run(runs: int, repeats: int, rounds: int, import_samples: int) -> dict[str, Any]:
    """Every measurement, as the dict that `--json` prints and the table is drawn from.

    The contenders take turns over `rounds` rounds of `repeats` timed calls each and keep
    their best call overall: on a shared machine a burst of load then costs one contender a
    round, not its figure, and all of them are sampled across the same stretch of time.
    """
    load_at_start = os.getloadavg()
    payloads = [build_payload(generation, runs) for generation in GENERATIONS]
    pythons = {g.client_version: client_python(g.client_version) for g in GENERATIONS}
    best: dict[tuple[str, str, str], Timing] = {}
    libraries: dict[str, Any] = {}
    for round_number in range(1, rounds + 1):
        log(f"round {round_number}/{rounds}: parsing {runs:,} runs per payload ...")
        for payload in payloads:
            version = payload.generation.client_version
            client, libraries[version] = time_client(payload, repeats, pythons[version])
            for timing in time_in_process(payload, repeats) + client:
                key = (timing.contender, timing.call, payload.generation.label)
                if key not in best or timing.seconds < best[key].seconds:
                    best[key] = timing
    log(f"import times, {import_samples} fresh interpreters each ...")
    imports = import_times(pythons, import_samples)
    settings = {
        "runs": runs,
        "repeats": repeats,
        "rounds": rounds,
        "import_samples": import_samples,
    }
    return _report(settings, load_at_start, list(best.values()), libraries, imports)


def _report(
    settings: dict[str, int],
    load_at_start: tuple[float, float, float],
    timings: list[Timing],
    libraries: dict[str, Any],
    imports: list[ImportTime],
) -> dict[str, Any]:
    bridge = {
        t.payload.generation.label: t.runs_per_s for t in timings if t.contender == "airflow_bridge"
    }
    bridge_import = imports[0].ms
    payloads = {t.payload.generation.label: t.payload for t in timings}
    return {
        "settings": settings,
        "environment": {
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "load_average_at_start": load_at_start,
            "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "client_libraries": libraries,
        },
        "payloads": [
            {
                "payload": label,
                "server_version": p.generation.server_version,
                "fixture": str(p.fixture.relative_to(REPO)),
                "recorded_runs": p.recorded_runs,
                "runs": p.runs,
                "bytes": len(p.data),
            }
            for label, p in payloads.items()
        ],
        "parse": [
            {
                "contender": t.contender,
                "call": t.call,
                "payload": t.payload.generation.label,
                "seconds": t.seconds,
                "runs_per_s": t.runs_per_s,
                "vs_airflow_bridge": t.runs_per_s / bridge[t.payload.generation.label],
            }
            for t in timings
        ],
        "imports": [
            {
                "module": i.module,
                "installed": i.installed,
                "ms": i.ms,
                "min_ms": i.min_ms,
                "vs_airflow_bridge": i.ms / bridge_import,
            }
            for i in imports
        ],
        "targets": {
            "airflow_bridge_runs_per_s": {
                "target": TARGET_RUNS_PER_S,
                "met": all(rate >= TARGET_RUNS_PER_S for rate in bridge.values()),
            },
            "import_airflow_bridge_ms": {
                "target": TARGET_IMPORT_MS,
                "met": bridge_import < TARGET_IMPORT_MS,
            },
        },
    }


def markdown_table(header: list[str], rows: list[list[str]], right: set[int]) -> str:
    """A markdown table padded to line up as plain text too; `right` = right-aligned columns."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        padded = (
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )
        return "| " + " | ".join(padded) + " |"

    rule = ["-" * (w - 1) + ":" if i in right else "-" * w for i, w in enumerate(widths)]
    return "\n".join([line(header), line(rule), *(line(row) for row in rows)])


def render(report: dict[str, Any]) -> str:
    """The human-readable report: both tables, the targets, and what was measured on what."""
    settings, env = report["settings"], report["environment"]
    parse_rows = [
        [
            r["contender"],
            r["call"],
            r["payload"],
            f"{r['runs_per_s']:,.0f}",
            f"{r['vs_airflow_bridge']:.2f}x",
        ]
        for r in report["parse"]
    ]
    import_rows = [
        [
            i["module"],
            i["installed"],
            f"{i['ms']:.1f}",
            f"{i['min_ms']:.1f}",
            f"{i['vs_airflow_bridge']:.2f}x",
        ]
        for i in report["imports"]
    ]
    bridge_rates = {
        r["payload"]: r["runs_per_s"] for r in report["parse"] if r["contender"] == "airflow_bridge"
    }
    bridge_ms = report["imports"][0]["ms"]
    targets = report["targets"]
    rate_verdict = "met" if targets["airflow_bridge_runs_per_s"]["met"] else "MISSED"
    import_verdict = "met" if targets["import_airflow_bridge_ms"]["met"] else "MISSED"
    rates = ", ".join(f"{label} {rate:,.0f}" for label, rate in bridge_rates.items())
    payloads = "\n".join(
        f"- {p['payload']}: {p['fixture']} ({p['recorded_runs']} recorded runs, "
        f"repeated to {p['runs']:,}; {p['bytes']:,} bytes)"
        for p in report["payloads"]
    )
    libraries = ", ".join(
        f"client {version}: " + (", ".join(f"{n} {v}" for n, v in libs.items()) or "no pydantic")
        for version, libs in env["client_libraries"].items()
    )
    load = ", ".join(f"{value:.2f}" for value in env["load_average_at_start"])
    return "\n".join(
        [
            f"## Building DagRun models from one list response "
            f"({settings['runs']:,} runs; best of {settings['rounds']} rounds "
            f"x {settings['repeats']} calls)",
            "",
            markdown_table(
                ["contender", "call", "payload", "runs/s", "vs airflow_bridge"],
                parse_rows,
                right={3, 4},
            ),
            "",
            f"Target: airflow_bridge >= {TARGET_RUNS_PER_S:,} runs/s: {rate_verdict} ({rates}).",
            "",
            f"## Import time ({settings['import_samples']} fresh interpreters each)",
            "",
            markdown_table(
                ["import", "installed", "median ms", "min ms", "vs airflow_bridge"],
                import_rows,
                right={2, 3, 4},
            ),
            "",
            f"Target: import airflow_bridge < {TARGET_IMPORT_MS:.0f} ms: "
            f"{import_verdict} ({bridge_ms:.1f} ms).",
            "",
            "Payloads:",
            payloads,
            "",
            f"{env['implementation']} {env['python']} on {env['machine']}, "
            f"{env['cpus']} CPUs, load average at start {load}; {libraries}.",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Time DagRun parsing: airflow_bridge vs json.loads and the official clients."
    )
    parser.add_argument("--runs", type=int, default=5000, help="runs per payload (5000)")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per round (5)")
    parser.add_argument("--rounds", type=int, default=3, help="turns each contender takes (3)")
    parser.add_argument(
        "--import-samples", type=int, default=7, help="fresh interpreters per import (7)"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    report = run(args.runs, args.repeats, args.rounds, args.import_samples)
    print(json.dumps(report, indent=2) if args.json else render(report))


if __name__ == "__main__":
    main()
