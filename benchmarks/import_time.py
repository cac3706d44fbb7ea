"""What starting up costs: `import airflow_bridge`, `airflow-bridge --help`, and the official
clients' `import airflow_client.client`, each in fresh interpreters.

A script, a CLI call or a short task pays this on every start. Each sample is the time of
one fresh process (its CPU time, user + system, by default: on a shared machine wall time
also counts other processes holding the CPU; `--clock wall` for wall time), and the figure
is that minus a `python -c pass` of the same venv timed in the same round (the
interpreter's own start, site and venv included), so only what the import or the command
adds is counted. Rounds interleave every command; the median of
the per-round differences is the figure.

* `import airflow_bridge`: `.bench/airflow-bridge`, this checkout installed with
  `pip install .` and no extras, as a library user gets it.
* `airflow-bridge --help`: the console script of `.bench/airflow-bridge-cli` (`[cli]`).
* `import airflow_client.client`: each official release in its own venv.

Targets: `import airflow_bridge` <= 100 ms and `airflow-bridge --help` <= 250 ms (issue 13).

    .venv/bin/python benchmarks/import_time.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import time
from pathlib import Path

from _report import REPO, WORK, Contender, Run, interleave, log
from _venvs import CLIENT, bridge_python, client_python

CLIENT_VERSIONS = ("3.3.2", "2.10.0")
TARGETS_MS = {"import airflow_bridge": 100.0, "airflow-bridge --help": 250.0}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


CLOCKS = {"cpu": _children_cpu, "wall": time.perf_counter}
CLOCK = ["cpu"]  # set from --clock


def wall_ms(command: list[str | Path]) -> float:
    """Time of one fresh process, in ms, on the chosen clock: its CPU time (user + system,
    not disturbed by other processes holding the CPU; the default) or wall time. It must
    succeed."""
    now = CLOCKS[CLOCK[0]]
    start = now()
    done = subprocess.run(command, capture_output=True, check=False, cwd=WORK)
    elapsed = (now() - start) * 1000
    if done.returncode != 0:
        raise SystemExit(f"{command} failed:\n{done.stderr.decode(errors='replace')}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="fresh interpreters each (7)")
    parser.add_argument(
        "--source", type=Path, default=REPO, help="the checkout to install (this one)"
    )
    parser.add_argument(
        "--clock", choices=tuple(CLOCKS), default="cpu", help="the process's CPU time or wall"
    )
    args = parser.parse_args()
    CLOCK[0] = args.clock
    run = Run("import_time")  # records the load average now, and again when it writes
    log(f"installing {args.source} into .bench/ (plain and [cli]) ...")
    plain, cli = bridge_python(source=args.source), bridge_python("cli", source=args.source)
    commands: dict[str, tuple[str, list[str | Path], Path]] = {
        "import airflow_bridge": (
            "airflow_bridge (pip install .)",
            [plain, "-c", "import airflow_bridge"],
            plain,
        ),
        "airflow-bridge --help": (
            "airflow_bridge (pip install .[cli])",
            [cli.parent / "airflow-bridge", "--help"],
            cli,
        ),
    }
    for version in CLIENT_VERSIONS:
        python = client_python(version)
        commands[f"import airflow_client.client {version}"] = (
            f"{CLIENT} {version}",
            [python, "-c", "import airflow_client.client"],
            python,
        )
    pythons = {python for _, _, python in commands.values()}
    starts = {python: [] for python in pythons}  # `python -c pass` per venv, per round
    contenders = [
        Contender(f"python -c pass ({python.parent.parent.name})", "python -c pass",
                  lambda python=python: _start(python, starts))
        for python in sorted(pythons)
    ]  # fmt: skip
    raw: dict[str, list[float]] = {name: [] for name in commands}
    for name, (_, command, _) in commands.items():
        contenders.append(
            Contender(name, " ".join(map(str, command[1:])), lambda c=command: wall_ms(c))
        )
    for contender in contenders:  # bytecode caches are written by this first, untimed call
        contender.sample()
    log(f"{len(contenders)} commands x {args.rounds} fresh processes, interleaved ...")
    for contender in contenders:
        contender.samples.clear()
    for python in pythons:
        starts[python].clear()
    interleave(contenders, args.rounds, warmup=0)
    rows: list[Contender] = []
    for name, (installed, _, python) in commands.items():
        whole = next(c for c in contenders if c.name == name).samples
        raw[name] = [w - s for w, s in zip(whole, starts[python], strict=True)]
        note = f"clock: {args.clock}"
        rows.append(Contender(name, installed, lambda: 0.0, note=note, samples=raw[name]))
        rows.append(
            Contender(f"{name} (whole process)", installed, lambda: 0.0, note=note, samples=whole)
        )
    run.add("added to start", rows, unit="ms", reference="import airflow_bridge")
    run.add("interpreter start", contenders[: len(pythons)], unit="ms", reference=None)
    run.print_samples()
    for name, target in TARGETS_MS.items():
        row = next(r for r in run.rows if r["contender"] == name)
        verdict = "met" if row["median"] <= target else "MISSED"
        print(f"target {name} <= {target:.0f} ms: {verdict} ({row['median']:.1f} ms)")
    print(f"wrote {run.write().relative_to(REPO)}")


def _start(python: Path, starts: dict[Path, list[float]]) -> float:
    """One `python -c pass`, also kept per venv to subtract from that round's commands."""
    elapsed = wall_ms([python, "-c", "pass"])
    starts[python].append(elapsed)
    return elapsed


if __name__ == "__main__":
    main()
