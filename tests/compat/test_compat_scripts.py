"""The legacy scripts of tests/compat/legacy (the live proof's scripts) against the fake
Airflow of both generations, over real HTTP: with the import prefix changed, and unchanged
through the zero-edit runner. The same scripts run against live servers in
tests/real/test_compat_real.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_bridge.testing import FakeAirflow

LEGACY = Path(__file__).parent / "legacy"
PREFIX = "airflow_client.client"


def run(server_url: str, *command: str) -> dict[str, object]:
    env = {
        **os.environ,
        "LEGACY_URL": server_url,
        "LEGACY_USERNAME": "admin",
        "LEGACY_PASSWORD": "admin",
        "LEGACY_TAG": "fake",
        "LEGACY_MINUTE": "7",
    }
    done = subprocess.run(
        [sys.executable, *command], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    assert (result["404"], result["409"], result["deleted"]) == (404, 409, True)
    assert result["list"] == result["batch"] == ["fake-second", "fake-first"]
    assert result["clear"] == ["first", "second"]
    return result


@pytest.mark.parametrize("version", ["2.10.5", "3.3.2"])
@pytest.mark.parametrize("layer", ["v1", "v2"])
def test_legacy_script_runs_with_the_prefix_changed(
    layer: str, version: str, tmp_path: Path
) -> None:
    script = tmp_path / f"{layer}.py"
    source = (LEGACY / f"{layer}_dag_runs.py").read_text()
    script.write_text(source.replace(PREFIX, f"airflow_bridge.compat.{layer}"))
    assert PREFIX not in script.read_text()
    with FakeAirflow(version, auto=1).serve() as server:
        run(server.url, str(script))


@pytest.mark.parametrize("version", ["2.10.5", "3.3.2"])
@pytest.mark.parametrize("layer", ["v1", "v2"])
def test_legacy_script_runs_unchanged_through_the_runner(layer: str, version: str) -> None:
    script = LEGACY / f"{layer}_dag_runs.py"
    with FakeAirflow(version, auto=1).serve() as server:
        result = run(server.url, "-m", "airflow_bridge.compat", "--layer", layer, str(script))
    fields = set(result["get"])  # type: ignore[arg-type]
    if layer == "v1":  # the 2.x model's fields, whichever generation answered
        assert {"dag_run_id", "execution_date", "external_trigger", "state"} <= fields
    else:
        assert {"dag_run_id", "logical_date", "run_type", "state"} <= fields
