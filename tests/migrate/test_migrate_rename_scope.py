"""`fix` renames execution_date only in calls the file's imports tie to Airflow's client or
airflow_bridge; the user's own names (parameters, dataclass and namedtuple fields, dict keys,
third-party keywords) stay as they are and `check` keeps reporting them for a person."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from airflow_bridge.cli import cli
from airflow_bridge.compat.v1.model.dag_run import DAGRun
from airflow_bridge.migrate import fix_source, scan_source

OWN_NAMES = """\
from collections import namedtuple
from dataclasses import dataclass

import mylib


def report(execution_date=None):
    return execution_date


@dataclass
class Row:
    execution_date: str


Pair = namedtuple("Pair", ["execution_date", "value"])
rows = [{"execution_date": "2024-01-01"}]
print(report(execution_date="x"))
print(Row("y").execution_date, Pair("z", 1).execution_date)
print(mylib.store(execution_date="w"), [r["execution_date"] for r in rows])
"""


def test_own_names_are_left_alone_and_still_reported(tmp_path: Path) -> None:
    (tmp_path / "mylib.py").write_text("def store(execution_date=None):\n    return 1\n")
    script = tmp_path / "job.py"
    script.write_text(OWN_NAMES)
    result = CliRunner().invoke(cli, ["migrate", "fix", "--write", str(script)])
    assert script.read_text() == OWN_NAMES
    assert result.exit_code == 1
    ran = subprocess.run([sys.executable, "job.py"], cwd=tmp_path, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    findings = scan_source(OWN_NAMES)
    lines = [f.line for f in findings if f.rule == "AB103"]
    assert lines == [16, 17, 18, 19, 19, 20, 20]  # strings, keywords and attributes
    assert all(f.fix == "" and "may be a name of your own" in f.message for f in findings)


def test_calls_tied_to_airflow_imports_are_renamed_through_aliases() -> None:
    source = """\
from airflow_bridge import Client as Bridge
from airflow_client.client.api.dag_run_api import DagRunApi as Runs
from airflow_client.client.models import trigger_dag_run_post_body as bodies

with Bridge("http://af") as client:
    client.dag_runs.list("etl", execution_date_gte=1, execution_date_lte=2)
api = Runs(None)
api.get_dag_runs("etl", execution_date_gte=1)
body = bodies.TriggerDAGRunPostBody(execution_date=1)


def mine(bridge):
    bridge.dag_runs.list(execution_date_gte=1)  # a parameter: nothing ties it
"""
    fixed = fix_source(source)
    assert fixed.splitlines()[5] == (
        '    client.dag_runs.list("etl", logical_date_gte=1, logical_date_lte=2)'
    )
    assert fixed.splitlines()[7] == 'api.get_dag_runs("etl", logical_date_gte=1)'
    assert fixed.splitlines()[8] == "body = bodies.TriggerDAGRunPostBody(logical_date=1)"
    assert fixed.splitlines()[12] == source.splitlines()[12]
    assert [(f.line, f.fix) for f in scan_source(fixed)] == [(13, "")]


def test_a_name_bound_twice_is_not_tied() -> None:
    source = """\
from airflow_bridge import Client
import mylib

client = Client("http://af")
client = mylib.Other()
client.dag_runs.list(execution_date_gte=1)
"""
    assert fix_source(source) == source
    assert [f.fix for f in scan_source(source)] == [""]


def test_the_compat_layer_keeps_execution_date_so_switched_files_keep_it() -> None:
    source = """\
from airflow_client.client.model.dag_run import DAGRun

run = DAGRun(dag_run_id="r", execution_date=None)
print(run.execution_date)
"""
    fixed = fix_source(source)
    assert fixed.count("execution_date") == 2
    assert fixed.startswith("from airflow_bridge.compat.v1.model.dag_run import DAGRun\n")
    assert scan_source(fixed) == []
    assert DAGRun(dag_run_id="r", execution_date=None).execution_date is None
