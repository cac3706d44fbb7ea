"""The README's "Figures" section, drawn only from the committed `benchmarks/results/*.csv`.

    python benchmarks/figures.py           # print the section
    python benchmarks/figures.py --write   # replace it in README.md (between the markers)
    python benchmarks/figures.py --check   # exit 1 if README.md differs from the CSVs

The figures cannot drift from what was measured: `benchmarks/run-all` measures, writes the
CSVs and then this; tests/project/test_benchmark_figures.py checks README.md against the CSVs.
Stdlib only, so the check runs anywhere.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

from _report import REPO, read

README = REPO / "README.md"
START, END = "<!-- figures:start -->", "<!-- figures:end -->"
BRIDGE = "airflow_bridge"
ATTRS_FLOOR = "json.loads + attrs models (design floor)"


def _num(value: str) -> float:
    return float(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    rule = ["---:" if i in right else "---" for i in range(len(header))]
    lines = [header, rule, *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def _provenance(rows: Sequence[dict[str, str]]) -> str:
    first = rows[0]
    return (
        f"Recorded {first['recorded_at']} on {first['machine']} ({first['python']}), "
        f"load average {first['load_start']} at the start and {first['load_end']} at the end; "
        f"`{first['command']}`, {first['rounds']} interleaved rounds."
    )


def paired(samples: list[dict[str, str]], group: str, a: str, b: str) -> float | None:
    """Median over rounds of a's value over b's (from the raw samples of one run)."""
    values = {
        name: [float(s["value"]) for s in samples if (s["group"], s["contender"]) == (group, name)]
        for name in (a, b)
    }
    if not values[a] or not values[b]:
        return None
    return statistics.median(x / y for x, y in zip(values[a], values[b], strict=True))


def parse_section(rows: list[dict[str, str]]) -> list[str]:
    if not rows:
        return ["(parse_speed has not been run: `benchmarks/run-all`)"]
    table = []
    for row in rows:
        table.append(
            [
                row["group"],
                row["contender"],
                f"{_num(row['median']):,.0f}",
                f"{_num(row['min']):,.0f}..{_num(row['max']):,.0f}",
                f"{_num(row['ratio_median']):.2f}x",
            ]
        )
    by = {(r["group"], r["contender"]): r for r in rows}
    by_group = [r["group"] for r in rows]

    official3 = "apache-airflow-client 3.3.2 ApiClient.deserialize"
    pydantic = "apache-airflow-client 3.3.2 model_validate_json"
    official2 = "apache-airflow-client 2.10.0 ApiClient.deserialize"
    checks = [
        ("Airflow 3", official3, 2.0, ">= 2x apache-airflow-client 3.3.2 `ApiClient.deserialize`"),
        ("Airflow 3", pydantic, 1.0, "ahead of pydantic's `model_validate_json` (3.3.2 models)"),
        ("Airflow 2", official2, 50.0, ">= 50x apache-airflow-client 2.10.0"),
        ("Airflow 3", "json.loads", -2.0, "within 2x of `json.loads` alone, Airflow 3"),
        ("Airflow 2", "json.loads", -2.0, "within 2x of `json.loads` alone, Airflow 2"),
    ]  # fmt: skip
    samples = read("parse_speed-samples")
    targets = []
    for group, contender, goal, label in checks:
        value = paired(samples, group, BRIDGE, contender)
        if value is None:
            continue
        if goal < 0:  # a floor: how many times its time airflow_bridge takes, at most -goal
            verdict = "met" if 1 / value <= -goal else "not met"
            targets.append(f"- {label}: airflow_bridge takes {1 / value:.2f}x its time ({verdict})")
        else:
            verdict = "met" if value >= goal else "not met"
            targets.append(f"- {label}: airflow_bridge {value:.2f}x ({verdict})")
    payloads = [f"- {group}: {by[group, BRIDGE]['note']}" for group in dict.fromkeys(by_group)]
    times = {}  # how many times json.loads's time each contender takes, per payload
    for group in dict.fromkeys(by_group):
        for name in (BRIDGE, ATTRS_FLOOR, pydantic):
            value = paired(samples, group, name, "json.loads")
            if value is not None:
                times[group, name] = f"{1 / value:.2f}x"
    gap = []
    if ("Airflow 3", ATTRS_FLOOR) in times and ("Airflow 3", pydantic) in times:
        gap = [
            "",
            "What bounds these ratios (and why a target above may be missed): decoding plus "
            "constructing the same "
            "frozen attrs models from finished values through `__init__`, with no conversion "
            "at all (the design floor above), takes "
            f"{times['Airflow 3', ATTRS_FLOOR]} `json.loads`'s time on the Airflow 3 payload "
            f"and {times.get(('Airflow 2', ATTRS_FLOOR), '?')} on Airflow 2; airflow_bridge "
            f"takes {times['Airflow 3', BRIDGE]} and {times.get(('Airflow 2', BRIDGE), '?')}. "
            "It reads each run with one function per body shape, every conversion (dates, "
            "enums, renames, notes, `extra`) inlined and the model's slots set directly, "
            "and builds each run while the page is decoded (`adapters/_wire_model.py`); "
            "profiled, setting the 21 slots is about half of what it adds to decoding, and "
            "a slot cannot be set faster from Python. "
            "pydantic's `model_validate_json` decodes and validates in compiled code and "
            f"takes {times['Airflow 3', pydantic]}. Closing the rest needs the models built "
            "by compiled code (mypyc or Cython over the generated structuring, or a compiled "
            "decoder such as msgspec filling the models), which the attrs + cattrs design "
            "does not have today; the ratios also move with the machine's load (see the "
            "load averages above).",
        ]
    return [
        "#### Building DagRun models from one recorded list response",
        "",
        _provenance(rows),
        "",
        *payloads,
        "",
        _table(
            ["payload", "contender", "runs/s (median)", "range", "vs airflow_bridge"],
            table,
            right={2, 3, 4},
        ),
        "",
        "`vs airflow_bridge` is each contender's throughput over airflow_bridge's, the median "
        "of the per-round ratios (airflow_bridge decodes with the stdlib `json`; `orjson.loads` "
        "shows what a compiled decoder alone would take). Targets (issue 13), "
        "as airflow_bridge's throughput over the contender's (per-round median):",
        "",
        *targets,
        *gap,
    ]


def import_section(rows: list[dict[str, str]]) -> list[str]:
    if not rows:
        return ["(import_time has not been run: `benchmarks/run-all`)"]
    added = [r for r in rows if r["group"] == "added to start"]
    table = [
        [
            r["contender"],
            r["call"],
            f"{_num(r['median']):.1f}",
            f"{_num(r['min']):.1f}..{_num(r['max']):.1f}",
        ]
        for r in added
    ]
    starts = [r for r in rows if r["group"] == "interpreter start"]
    start = ", ".join(f"{_num(r['median']):.1f}" for r in starts)
    by = {r["contender"]: r for r in added}
    targets = []
    for name, goal in (("import airflow_bridge", 100.0), ("airflow-bridge --help", 250.0)):
        if name in by:
            value = _num(by[name]["median"])
            verdict = "met" if value <= goal else "not met"
            targets.append(f"- `{name}` <= {goal:.0f} ms: {value:.1f} ms, {verdict}")
    return [
        "#### Start-up: what a command adds to the interpreter's own start",
        "",
        _provenance(rows)
        + f" `python -c pass` took {start} ms (median per venv); each round's is subtracted.",
        "",
        _table(["command", "installed", "ms (median)", "range"], table, right={2, 3}),
        "",
        *targets,
    ]


def fanout_section(rows: list[dict[str, str]]) -> list[str]:
    if not rows:
        return ["(fanout has not been run: `benchmarks/run-all`)"]
    groups = list(dict.fromkeys(r["group"] for r in rows))
    by = {(r["group"], r["contender"]): r for r in rows}
    delay = _num(rows[0]["note"].split()[1])
    table = []
    for group in groups:
        seq, fleet, sync = (by[group, c] for c in ("sequential loop", "AsyncFleet", "Fleet"))
        worst = max(_num(fleet["median"]), _num(sync["median"])) / delay
        table.append(
            [
                group,
                f"{_num(seq['median']):.2f} s",
                f"{_num(fleet['median']) * 1000:.0f} ms",
                f"{_num(sync['median']) * 1000:.0f} ms",
                f"{worst:.2f}x",
            ]
        )
    return [
        f"#### Fan-out across a fleet, every server answering after {delay * 1000:.0f} ms",
        "",
        _provenance(rows),
        "",
        _table(
            ["servers", "sequential loop", "`AsyncFleet`", "`Fleet` (sync)", "fleet ÷ delay"],
            table,
            right={0, 1, 2, 3, 4},
        ),
    ]


def request_section(rows: list[dict[str, str]]) -> list[str]:
    if not rows:
        return ["(request_overhead has not been run: `benchmarks/run-all`)"]
    table = [
        [
            r["contender"],
            f"{_num(r['median']):.0f}",
            f"{_num(r['min']):.0f}..{_num(r['max']):.0f}",
            f"{_num(r['ratio_median']):.2f}x",
        ]
        for r in rows
    ]
    bridge = next((r for r in rows if r["contender"] == BRIDGE), None)
    targets = []
    if bridge is not None:
        over = (_num(bridge["ratio_median"]) - 1) * 100
        verdict = "met" if over <= 5 else "not met"
        targets.append(f"- airflow_bridge within 5 % of raw httpx: {over:+.1f} %, {verdict}")
    return [
        "#### Per-request overhead: `get` of one run from a loopback server",
        "",
        _provenance(rows) + f" {rows[0]['note']}.",
        "",
        _table(
            ["contender", "µs per call (median)", "range", "time vs raw httpx"],
            table,
            right={1, 2, 3},
        ),
        "",
        *targets,
    ]


def memory_section(rows: list[dict[str, str]]) -> list[str]:
    if not rows:
        return ["(memory has not been run: `benchmarks/run-all`)"]
    groups = list(dict.fromkeys(r["group"] for r in rows))
    counts = list(dict.fromkeys(r["contender"].split()[1] for r in rows))
    by = {(r["group"], r["contender"]): _num(r["median"]) for r in rows}
    table, targets = [], []
    for group in groups:
        walk, measure = group.split(" | ")
        cells = [f"{by[group, f'{mode} {n}']:.1f}" for mode in ("iter()", "list()") for n in counts]
        table.append([walk, measure, *cells])
        if measure == "rss" and "order_by" not in walk:
            small, large = by[group, f"iter() {counts[0]}"], by[group, f"iter() {counts[-1]}"]
            listed = by[group, f"list() {counts[-1]}"]
            page = listed / int(counts[-1].replace(",", "")) * 100  # 100 runs as list() holds them
            verdict = "met" if large <= max(2.0, 1.25 * small) else "not met"
            targets.append(
                f"- {walk}: `iter()` peak RSS growth {small:.2f} MiB at {counts[0]} runs and "
                f"{large:.2f} MiB at {counts[-1]} ({verdict}: flat; {large / page:.0f} pages "
                f"of 100 runs as `list()` holds them, the decoded page, its bytes and "
                f"buffers included); `list()` {listed:.0f} MiB"
            )
    header = ["walk", "measure", *[f"{m} {n}" for m in ("iter()", "list()") for n in counts]]
    return [
        "#### Memory: peak growth while listing N runs (MiB, one fresh process each)",
        "",
        _provenance(rows),
        "",
        _table(header, table, right=set(range(2, len(header)))),
        "",
        "`rss`: `ru_maxrss` after the walk minus before it; `tracemalloc`: the Python heap's "
        "peak during the walk. In the servers' default order (id ascending) the walk "
        "remembers only the previous page's runs; newest first (`order_by=-id`) it remembers "
        "every run yielded, so that `iter()` grows with the count. Offset walks hold more "
        "than keyset ones because their pages come in batches of up to 10, fetched ahead "
        "together (`pagination.py`). Target (issue 13): `iter()` flat as the count grows:",
        "",
        *targets,
    ]


def pagination_section(rows: list[dict[str, str]]) -> list[str]:
    if not rows:
        return ["(pagination has not been run: `benchmarks/run-all`)"]
    table = [
        [
            r["contender"],
            r["call"],
            f"{_num(r['median']):.2f}",
            f"{_num(r['min']):.2f}..{_num(r['max']):.2f}",
            f"{1 / _num(r['ratio_median']):.2f}x",
        ]
        for r in rows
    ]
    ahead = [r for r in rows if r["contender"] in ("offset, Client", "offset, AsyncClient")]
    targets = []
    for r in ahead:
        speedup = 1 / _num(r["ratio_median"])
        verdict = "met" if speedup >= 4 else "not met"
        targets.append(f"- {r['contender']}: {speedup:.2f}x the sequential walk ({verdict})")
    return [
        f"#### Pagination: {rows[0]['note']}",
        "",
        _provenance(rows),
        "",
        _table(
            ["walk", "call", "s (median)", "range", "speed vs sequential"], table, right={2, 3, 4}
        ),
        "",
        "`speed vs sequential` is the median of the per-round ratios to the offset walk one "
        "page at a time. Every walk was checked to list the sequential walk's runs in its "
        "order before timing. Target (issue 13): >= 4x the sequential walk by fetching "
        "offset pages ahead:",
        "",
        *targets,
        "- keyset pages cannot be fetched ahead (each needs the previous page's cursor): "
        "that walk stays sequential, as the last row shows.",
    ]


def fleet_scale_section(rows: list[dict[str, str]]) -> list[str]:
    if not rows:
        return ["(fleet_scale has not been run: `benchmarks/run-all`)"]
    delay = _num(next(r for r in rows if r["note"])["note"].split()[1])
    sizes = [g for g in dict.fromkeys(r["group"] for r in rows) if " " not in g]
    by = {(r["group"], r["contender"]): _num(r["median"]) for r in rows}
    fleets = [r["contender"] for r in rows if r["group"] == sizes[0]]
    table = [
        [size, *[f"{by[size, name] * 1000:.0f} ms ({by[size, name] / delay:.2f}x)"
                 for name in fleets]]
        for size in sizes
    ]  # fmt: skip
    costs = [
        "open file descriptors",
        "resident memory (KiB)",
        "Python heap (KiB)",
        "resident memory, a CA bundle per client (KiB)",
        "CPU time (µs)",
    ]
    per = [[size, *[f"{by[f'{size} per server', c]:.1f}" for c in costs]] for size in sizes]
    largest = sizes[-1]
    worst = max(by[largest, name] for name in fleets) / delay
    best = min(by[largest, name] for name in fleets) / delay
    cpu = by[f"{largest} per server", "CPU time (µs)"]
    verdict = "met" if worst <= 1.5 else "not met"
    return [
        f"#### Fleet fan-out over real loopback servers, each answering after "
        f"{delay * 1000:.0f} ms",
        "",
        _provenance(rows) + " The open-file soft limit was raised to the hard limit.",
        "",
        _table(
            ["servers", *[f"`{name}`" for name in fleets]], table, right=set(range(len(fleets) + 1))
        ),
        "",
        _table(
            [
                "servers",
                "fds per server",
                "RSS KiB per server",
                "heap KiB per server",
                "RSS KiB per server, a TLS context each (before)",
                "CPU µs per server",
            ],
            per,
            right={0, 1, 2, 3, 4, 5},
        ),
        "",
        f"- Target (issue 13): a fleet query within 1.5x of one round trip at {largest} "
        f"servers: {best:.2f}x..{worst:.2f}x, {verdict}. The fan-out is bound by the client's "
        f"CPU, {cpu:.0f} µs per server on the one event loop, so {largest} servers need "
        f"about {cpu * int(largest) / 1e6:.2f} s of CPU whatever the concurrency; 1.5x of "
        f"{delay * 1000:.0f} ms at this size leaves {1.5 * delay / int(largest) * 1e6:.0f} µs "
        "per server. Why, and what would close it: benchmarks/README.md (`fleet_scale.py`).",
    ]


def render() -> str:
    """The section between the markers, markers excluded."""
    lines = [
        "",
        "Generated by `benchmarks/figures.py` from `benchmarks/results/*.csv`; "
        "`benchmarks/run-all` measures everything and regenerates this section (plots: "
        "`benchmarks/results/*.png`; what each contender's path includes: "
        "[benchmarks/README.md](benchmarks/README.md)). The machine was shared with other "
        "work while measuring, so absolute figures move from run to run: contenders are "
        "interleaved call by call, and the ratios, taken round by round, are the figures "
        "to compare.",
        "",
        *parse_section(read("parse_speed")),
        "",
        *import_section(read("import_time")),
        "",
        *request_section(read("request_overhead")),
        "",
        *fanout_section(read("fanout")),
        "",
        *pagination_section(read("pagination")),
        "",
        *memory_section(read("memory")),
        "",
        *fleet_scale_section(read("fleet_scale")),
        "",
    ]
    return "\n".join(lines)


def readme_section(text: str) -> str:
    """What README.md holds between the markers."""
    start, end = text.index(START) + len(START), text.index(END)
    return text[start:end]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="update README.md")
    mode.add_argument("--check", action="store_true", help="fail if README.md differs")
    args = parser.parse_args()
    section = render()
    if not (args.write or args.check):
        print(section)
        return
    text = README.read_text(encoding="utf-8")
    if args.check:
        if readme_section(text) != section:
            sys.exit("README.md's figures differ from benchmarks/results: run figures.py --write")
        return
    start, end = text.index(START) + len(START), text.index(END)
    README.write_text(text[:start] + section + text[end:], encoding="utf-8")
    print(f"updated {Path(README).relative_to(REPO)}")


if __name__ == "__main__":
    main()
