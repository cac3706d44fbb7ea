"""`fix` switches a file to airflow_bridge.compat.v1 only when the layer has every 2.x client
module and name the file uses; the fixed imports must then really import. Anything else is
an AB110 finding for a person, and the file is left as it is."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from airflow_bridge.cli import cli
from airflow_bridge.migrate import fix_source, scan_source

LEGACY = "from airflow_client.client.model.dag_run import DAGRun\n"
MISSING = [
    "from airflow_client.client.api import dag_api\n",
    "from airflow_client.client.api import pool_api\n",
    "from airflow_client.client.api import task_instance_api\n",
    "from airflow_client.client.api import monitoring_api\n",
    "from airflow_client.client.model.dag import DAG\n",
    "from airflow_client.client.model.clear_task_instances import ClearTaskInstances\n",
    "from airflow_client.client import model_utils\n",
    "import airflow_client.client.api.dag_api\n",
]


@pytest.mark.parametrize("line", MISSING)
def test_a_module_the_layer_lacks_blocks_the_switch_and_is_reported(
    line: str, tmp_path: Path
) -> None:
    source = LEGACY + line + "print(DAGRun)\n"
    assert fix_source(source) == source
    findings = scan_source(source)
    assert [f.line for f in findings if f.rule == "AB110"] == [2]
    assert all(f.fix == "" for f in findings)
    target = tmp_path / "job.py"
    target.write_text(source)
    result = CliRunner().invoke(cli, ["migrate", "fix", "--write", str(target)])
    assert (result.exit_code, target.read_text()) == (1, source)
    assert "0 finding(s) need a person" not in result.output


def test_a_use_through_an_alias_the_layer_lacks_blocks_the_switch() -> None:
    source = (
        "from airflow_client import client\n"
        "from airflow_client.client.model.dag_run import DAGRun\n"
        "api = client.api.dag_api.DAGApi(client.ApiClient())\n"
    )
    assert fix_source(source) == source
    found = [(f.line, f.rule) for f in scan_source(source) if f.rule == "AB110"]
    assert found == [(3, "AB110")]


def test_what_the_layer_has_is_switched_and_imports() -> None:
    source = (
        "import airflow_client.client\n"
        "from airflow_client import client as c\n"
        "from airflow_client.client.api import dag_run_api\n"
        "from airflow_client.client.apis import DAGRunApi\n"
        "from airflow_client.client.model.dag_run import DAGRun\n"
        "from airflow_client.client.models import DAGRunCollection, DagState\n"
        "from airflow_client.client.exceptions import NotFoundException\n"
        "cfg = airflow_client.client.Configuration(host='http://af')\n"
        "api = c.api.dag_run_api.DAGRunApi\n"
    )
    fixed = fix_source(source)
    assert "airflow_client" not in fixed
    exec(compile(fixed, "<fixed>", "exec"), {})  # every switched import resolves
    assert scan_source(fixed) == []
