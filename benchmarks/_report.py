"""Interleaved rounds, summaries, CSV files and plots shared by the benchmarks.

Every benchmark measures its contenders *interleaved*: after a warm-up call each, round r
times one call of every contender in turn (the order rotates from round to round), so a
burst of load from the rest of the machine hits all of them alike. Each contender's figure
is the median of its rounds; its ratio to the reference contender is the median of the
per-round ratios, which stays put when the machine is busy even though absolute times move.

Results go to `benchmarks/results/<name>.csv` (one row per contender: medians, spread,
ratio, and the run's date, machine, load and command) and `<name>-samples.csv` (every raw
sample); `figures.py` draws the README's tables from these files only.
"""

from __future__ import annotations

import csv
import os
import platform
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
WORK = REPO / ".bench"  # git-ignored: venvs of the official clients and of this checkout

#: The columns of `<name>.csv`, in order.
SUMMARY_COLUMNS = (
    "benchmark",
    "group",
    "contender",
    "call",
    "unit",
    "rounds",
    "median",
    "min",
    "max",
    "q1",
    "q3",
    "reference",
    "ratio_median",
    "ratio_min",
    "ratio_max",
    "note",
    "recorded_at",
    "machine",
    "python",
    "load_start",
    "load_end",
    "command",
)


def log(message: str) -> None:
    """Progress goes to stderr, so stdout holds only the report."""
    print(message, file=sys.stderr, flush=True)


@dataclass
class Contender:
    """One thing being timed: `sample()` returns one measurement (seconds, or what `unit`
    says) and may check the work was really done."""

    name: str
    call: str
    sample: Callable[[], float]
    note: str = ""
    samples: list[float] = field(default_factory=list)


def interleave(contenders: Sequence[Contender], rounds: int, warmup: int = 1) -> None:
    """Fill every contender's `samples`, call by call in turn; see the module docstring."""
    for _ in range(warmup):
        for contender in contenders:
            contender.sample()
    for round_number in range(rounds):
        shift = round_number % len(contenders)
        for contender in [*contenders[shift:], *contenders[:shift]]:
            contender.samples.append(contender.sample())


@dataclass(frozen=True)
class Environment:
    """Where and when a run was made, written beside every figure."""

    recorded_at: str
    machine: str
    python: str
    load_start: str
    load_end: str
    command: str


def machine() -> str:
    """CPU model and count, e.g. "2 x AMD EPYC 7B13" (what a reader needs to compare)."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} x {model}"


def load() -> str:
    """The 1, 5 and 15 minute load averages, as "1.20 1.05 0.98"."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


class Run:
    """One benchmark run: records the environment at the start and end, writes the files."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.load_start = load()
        self.started = time.strftime("%Y-%m-%d %H:%M %Z")
        self.command = " ".join(
            ["benchmarks/" + Path(sys.argv[0]).name, *map(shlex.quote, sys.argv[1:])]
        )
        self.rows: list[dict[str, Any]] = []
        self.samples: list[dict[str, Any]] = []

    def add(
        self,
        group: str,
        contenders: Sequence[Contender],
        *,
        unit: str,
        reference: str | None,
    ) -> list[dict[str, Any]]:
        """Summarize one group's contenders (ratios to `reference`, by name) into rows."""
        by_name = {c.name: c for c in contenders}
        base = by_name[reference].samples if reference else None
        rows = []
        for contender in contenders:
            values = contender.samples
            q1, _, q3 = statistics.quantiles(values, n=4) if len(values) > 1 else values * 3
            ratios = [v / b for v, b in zip(values, base, strict=True)] if base else []
            row = {
                "benchmark": self.name,
                "group": group,
                "contender": contender.name,
                "call": contender.call,
                "unit": unit,
                "rounds": len(values),
                "median": statistics.median(values),
                "min": min(values),
                "max": max(values),
                "q1": q1,
                "q3": q3,
                "reference": reference or "",
                "ratio_median": statistics.median(ratios) if ratios else "",
                "ratio_min": min(ratios) if ratios else "",
                "ratio_max": max(ratios) if ratios else "",
                "note": contender.note,
            }
            rows.append(row)
            self.samples += [
                {"benchmark": self.name, "group": group, "contender": contender.name,
                 "round": i + 1, "value": value, "unit": unit}
                for i, value in enumerate(values)
            ]  # fmt: skip
        self.rows += rows
        return rows

    def environment(self) -> Environment:
        return Environment(
            recorded_at=self.started,
            machine=machine(),
            python=f"{platform.python_implementation()} {platform.python_version()}",
            load_start=self.load_start,
            load_end=load(),
            command=self.command,
        )

    def write(self) -> Path:
        """`results/<name>.csv` and `results/<name>-samples.csv`; returns the first."""
        env = self.environment().__dict__
        RESULTS.mkdir(exist_ok=True)
        summary = RESULTS / f"{self.name}.csv"
        with summary.open("w", newline="") as out:
            writer = csv.DictWriter(out, SUMMARY_COLUMNS, lineterminator="\n")
            writer.writeheader()
            for row in self.rows:
                writer.writerow({**row, **env, **_rounded(row)})
        samples = RESULTS / f"{self.name}-samples.csv"
        with samples.open("w", newline="") as out:
            columns = ("benchmark", "group", "contender", "round", "value", "unit")
            writer = csv.DictWriter(out, columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows({**s, "value": f"{s['value']:.6g}"} for s in self.samples)
        return summary

    def print_samples(self) -> None:
        """Every raw sample, then the summary, on stdout."""
        for row in self.rows:
            values = [
                s["value"]
                for s in self.samples
                if (s["group"], s["contender"]) == (row["group"], row["contender"])
            ]
            raw = " ".join(f"{v:.4g}" for v in values)
            print(f"{row['group']} | {row['contender']} ({row['unit']}): {raw}")
        env = self.environment()
        print(f"\nload average at start {env.load_start}, at end {env.load_end}")
        for row in self.rows:
            ratio = row["ratio_median"]
            spread = f"{row['min']:.4g}..{row['max']:.4g}"
            versus = f"  x{ratio:.2f} of {row['reference']}" if ratio != "" else ""
            print(
                f"{row['group']:>10} {row['contender']:<40} median {row['median']:.4g} "
                f"{row['unit']} (range {spread}){versus}"
            )


def _rounded(row: Mapping[str, Any]) -> dict[str, str]:
    """Floats with 4 significant digits: enough for the figures, stable in diffs."""
    return {k: f"{v:.4g}" for k, v in row.items() if isinstance(v, float)}


def read(name: str) -> list[dict[str, str]]:
    """The rows of `results/<name>.csv` (empty when the benchmark was never run)."""
    path = RESULTS / f"{name}.csv"
    if not path.is_file():
        return []
    with path.open(newline="") as source:
        return list(csv.DictReader(source))
