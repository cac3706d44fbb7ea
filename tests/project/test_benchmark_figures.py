"""README.md's Figures section is exactly what benchmarks/figures.py draws from the committed
benchmarks/results/*.csv, so a figure cannot be edited by hand or drift from a measurement."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture
def figures() -> Iterator[ModuleType]:
    sys.path.insert(0, str(BENCHMARKS))  # the scripts import their siblings by name
    try:
        yield importlib.import_module("figures")
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_readme_figures_are_generated_from_the_committed_results(figures: ModuleType) -> None:
    readme = figures.README.read_text(encoding="utf-8")
    assert figures.readme_section(readme) == figures.render(), (
        "README.md's figures differ from benchmarks/results/*.csv: "
        "run `python benchmarks/figures.py --write` (or benchmarks/run-all)"
    )


def test_every_benchmark_has_committed_results(figures: ModuleType) -> None:
    for name in (
        "parse_speed",
        "import_time",
        "request_overhead",
        "fanout",
        "pagination",
        "memory",
        "fleet_scale",
    ):
        rows = figures.read(name)
        assert rows, f"benchmarks/results/{name}.csv is missing"
        assert all(row["recorded_at"] and row["load_start"] for row in rows)


def test_a_changed_result_changes_the_section(
    figures: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = figures.render()
    real = figures.read

    def doubled(name: str) -> list[dict[str, str]]:
        key = "value" if name.endswith("-samples") else "median"
        return [{**r, key: str(float(r[key]) * 2)} for r in real(name)]

    monkeypatch.setattr(figures, "read", doubled)
    assert figures.render() != before
