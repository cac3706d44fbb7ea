"""Plots of the committed results (`benchmarks/results/*.png`); needs the `bench` extra.

    python benchmarks/plots.py

Throughput bars (parse_speed), start-up bars (import_time), fan-out scaling (fanout),
pagination bars (pagination) and memory against the number of runs (memory), each drawn
from its CSV (bars with the interquartile range as error bars).
"""

from __future__ import annotations

from typing import Any

from _report import RESULTS, log, read


def _errors(rows: list[dict[str, str]]) -> list[list[float]]:
    return [
        [float(r["median"]) - float(r["q1"]) for r in rows],
        [float(r["q3"]) - float(r["median"]) for r in rows],
    ]


def _bars(plt: Any, name: str, rows: list[dict[str, str]], xlabel: str, title: str) -> None:
    labels = [f"{r['group']}: {r['contender']}" for r in rows]
    figure, axes = plt.subplots(figsize=(9, 0.45 * len(rows) + 1.5))
    medians = [float(r["median"]) for r in rows]
    axes.barh(labels, medians, xerr=_errors(rows), color="#4c72b0")
    axes.invert_yaxis()
    axes.set_xlabel(xlabel)
    axes.set_title(f"{title}\n{rows[0]['recorded_at']}, load {rows[0]['load_start']}")
    figure.tight_layout()
    figure.savefig(RESULTS / f"{name}.png", dpi=100)
    plt.close(figure)


def main() -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("plots skipped: matplotlib is not installed (pip install -e '.[bench]')")
        return
    parse = read("parse_speed")
    if parse:
        _bars(plt, "parse_speed", parse, "runs/s (median, IQR)", "DagRun models from 5,000 runs")
    starts = [r for r in read("import_time") if r["group"] == "added to start"]
    if starts:
        _bars(plt, "import_time", starts, "ms added to `python -c pass`", "Start-up")
    fanout = read("fanout")
    if fanout:
        figure, axes = plt.subplots(figsize=(7, 4))
        for contender in dict.fromkeys(r["contender"] for r in fanout):
            mine = [r for r in fanout if r["contender"] == contender]
            sizes = [int(r["group"]) for r in mine]
            axes.errorbar(sizes, [float(r["median"]) for r in mine], yerr=_errors(mine),
                          marker="o", label=contender)  # fmt: skip
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel("servers")
        axes.set_ylabel("seconds for one list() (median)")
        axes.set_title(f"Fan-out ({fanout[0]['note']} per server)")
        axes.legend()
        figure.tight_layout()
        figure.savefig(RESULTS / "fanout.png", dpi=100)
        plt.close(figure)
    pagination = read("pagination")
    if pagination:
        _bars(plt, "pagination", pagination, "seconds (median, IQR)", pagination[0]["note"])
    memory = [r for r in read("memory") if r["group"].endswith("| rss")]
    if memory:
        figure, axes = plt.subplots(figsize=(7, 4))
        for group in dict.fromkeys(r["group"] for r in memory):
            for mode in ("iter()", "list()"):
                mine = [
                    r for r in memory if r["group"] == group and r["contender"].startswith(mode)
                ]
                counts = [int(r["contender"].split()[1].replace(",", "")) for r in mine]
                axes.plot(counts, [float(r["median"]) for r in mine], marker="o",
                          label=f"{group.split(' | ')[0]}: {mode}")  # fmt: skip
        axes.set_xlabel("runs listed")
        axes.set_ylabel("peak RSS growth (MiB)")
        axes.set_title("Memory while listing")
        axes.legend(fontsize=7)
        figure.tight_layout()
        figure.savefig(RESULTS / "memory.png", dpi=100)
        plt.close(figure)
    log(f"plots written to {RESULTS}")


if __name__ == "__main__":
    main()
