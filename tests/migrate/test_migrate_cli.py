"""`airflow-bridge migrate check|fix`: output formats, exit codes (0 clean, 1 findings, 2
usage), the diff by default and writing only with --write, and the message when libcst (the
`migrate` extra) is missing."""

from __future__ import annotations

import builtins
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from airflow_bridge.cli import cli

CORPUS = Path(__file__).parent / "corpus"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, ["migrate", *args], catch_exceptions=False)


def test_check_reports_file_line_col_rule_and_replacement() -> None:
    result = invoke("check", str(CORPUS / "legacy_facade.py"))
    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert first.startswith(f"{CORPUS / 'legacy_facade.py'}:9:44: AB104 [execution-date-filter]")
    assert "Use: logical_date_gte with the facade" in first
    assert result.output.splitlines()[-1].startswith("3 finding(s) in 1 file(s); 1 fixable")


def test_check_exits_0_on_ported_code() -> None:
    result = invoke("check", str(CORPUS / "ported_facade.py"), str(CORPUS / "ported_client_v3.py"))
    assert (result.exit_code, result.output.strip()) == (
        0,
        "no findings: nothing here breaks on Airflow 3",
    )


def test_check_json_lists_every_finding_of_a_directory() -> None:
    result = invoke("check", "--format", "json", str(CORPUS))
    assert result.exit_code == 1
    findings = json.loads(result.output)
    assert {Path(f["path"]).name for f in findings} == {
        "legacy_client_etl.py",
        "legacy_facade.py",
        "legacy_httpx_service.py",
        "legacy_requests.py",
    }
    assert set(findings[0]) == {
        "path", "line", "col", "rule", "name", "message", "replacement", "fix"
    }  # fmt: skip


def test_check_sarif_has_rules_and_located_results() -> None:
    result = invoke("check", "--format", "sarif", str(CORPUS / "legacy_requests.py"))
    sarif = json.loads(result.output)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert "AB105" in rules
    results = run["results"]
    assert len(results) == 13
    for item in results:
        assert rules[item["ruleIndex"]] == item["ruleId"]
        region = item["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1


@pytest.mark.parametrize("args", [(), ("missing.py",), ("--format", "xml", ".")])
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    assert invoke("check", *args).exit_code == 2


def test_fix_shows_a_diff_and_writes_only_with_write(tmp_path: Path) -> None:
    target = tmp_path / "etl.py"
    shutil.copy(CORPUS / "legacy_client_etl.py", target)
    original = target.read_text()
    shown = invoke("fix", str(target))
    assert shown.exit_code == 0  # every finding here is fixable
    assert "\n-import airflow_client.client\n" in shown.output
    assert "\n+import airflow_bridge.compat.v1\n" in shown.output
    assert target.read_text() == original
    written = invoke("fix", "--write", str(target))
    assert written.exit_code == 0 and target.read_text() != original
    assert invoke("check", str(target)).exit_code == 0


def test_fix_exits_1_when_findings_need_a_person(tmp_path: Path) -> None:
    target = tmp_path / "ops.py"
    shutil.copy(CORPUS / "legacy_requests.py", target)
    result = invoke("fix", "--write", str(target))
    assert result.exit_code == 1
    assert "13 finding(s) need a person" in result.output


def test_fix_without_libcst_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_libcst(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.split(".")[0] == "libcst":
            raise ImportError("No module named 'libcst'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_libcst)
    result = invoke("fix", str(CORPUS / "legacy_facade.py"))
    assert result.exit_code == 2
    assert "pip install 'airflow-bridge[migrate]'" in result.output
