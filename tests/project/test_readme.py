"""The README's code runs as printed: the quickstart and the fake_airflow example."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from airflow_bridge.testing import FakeAirflow

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.DOTALL)


def block(containing: str) -> str:
    (found,) = [code for code in BLOCKS if containing in code]
    return found


@pytest.mark.parametrize("version", ["2.10.5", "3.3.2"])
def test_quickstart_runs_against_both_generations(version: str) -> None:
    code = block('note="bad input"')
    fake = FakeAirflow(version)  # as `airflow-bridge fake-server` serves it
    with fake.serve() as server:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(code.replace("http://127.0.0.1:8080", server.url), {})
    lines = printed.getvalue().splitlines()
    assert f"version='{version}'" in lines[0]
    assert lines[1].startswith("bridge_plain manual__"), "the failed run is listed"
    assert "ClearedTaskInstance(dag_id='bridge_plain'" in lines[-1], "the dry-run clear is shown"


def test_fake_airflow_example_passes_on_both_generations(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=block("def test_failed_runs_are_found"))
    pytester.runpytest_inprocess("-q").assert_outcomes(passed=2)


def test_fake_runbook_example_passes_on_both_generations(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=block("def test_the_runbook"))
    pytester.runpytest_inprocess("-q").assert_outcomes(passed=2)
