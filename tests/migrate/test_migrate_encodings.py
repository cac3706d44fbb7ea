"""Files are read as Python reads them (PEP 263 coding cookie, UTF-8 BOM) and written back in
the same encoding with the same line endings; one unreadable file is reported, not a crash."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from airflow_bridge.cli import cli
from airflow_bridge.migrate import fix_source, scan_source

FACADE_CALL = (
    "from airflow_bridge import Client\n"
    "with Client('http://af') as client:\n"
    "    client.dag_runs.list('etl', execution_date_gte=1)\n"
)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, ["migrate", *args], catch_exceptions=False)


def test_a_latin_1_file_is_fixed_in_latin_1_with_its_line_endings(tmp_path: Path) -> None:
    text = "# -*- coding: latin-1 -*-\n# r\xe9sum\xe9 du job\n" + FACADE_CALL
    target = tmp_path / "latin.py"
    target.write_bytes(text.replace("\n", "\r\n").encode("latin-1"))
    assert invoke("check", str(target)).exit_code == 1  # AB104, not AB000
    assert "AB000" not in invoke("check", str(target)).output
    result = invoke("fix", "--write", str(target))
    assert result.exit_code == 0, result.output
    fixed = text.replace("execution_date_gte", "logical_date_gte").replace("\n", "\r\n")
    assert target.read_bytes() == fixed.encode("latin-1")


def test_an_undecodable_file_is_reported_and_the_others_are_fixed(tmp_path: Path) -> None:
    bad = tmp_path / "a_bad.py"
    bad.write_bytes(b"# -*- coding: utf-8 -*-\nname = 'r\xe9sum\xe9'\n")
    good = tmp_path / "b_good.py"
    good.write_text(FACADE_CALL)
    result = invoke("fix", "--write", str(tmp_path))
    assert result.exit_code == 1
    assert f"{bad}: skipped, it cannot be decoded" in result.output
    assert "logical_date_gte" in good.read_text()
    checked = invoke("check", str(bad))
    assert (checked.exit_code, checked.output.split(" [")[0]) == (1, f"{bad}:1:1: AB000")


def test_a_bom_is_accepted_and_kept(tmp_path: Path) -> None:
    target = tmp_path / "bom.py"
    target.write_bytes(b"\xef\xbb\xbf" + FACADE_CALL.encode())
    checked = invoke("check", str(target))
    assert "AB000" not in checked.output and "AB104" in checked.output
    assert invoke("fix", "--write", str(target)).exit_code == 0
    fixed = FACADE_CALL.replace("execution_date_gte", "logical_date_gte")
    assert target.read_bytes() == b"\xef\xbb\xbf" + fixed.encode()


def test_source_text_with_a_bom_scans_and_fixes_with_the_bom_kept() -> None:
    findings = scan_source("\ufeff" + FACADE_CALL)
    assert [(f.rule, f.fix) for f in findings] == [("AB104", "rename")]
    assert fix_source("\ufeff" + FACADE_CALL).startswith("\ufefffrom airflow_bridge import")
