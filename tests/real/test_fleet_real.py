"""A fleet of the live Airflow 2.10.5 and 3.3.2 servers, through the library and the CLI.

Each test marks a run of its own failed on every server first (unique run ids, a logical
date in a window of its own), so `--state failed` must return runs of both generations in
one call, whatever other tests left on the servers. The runs are deleted afterwards.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_bridge.fleet import Fleet, Server

pytestmark = pytest.mark.real

DAG = "bridge_plain"


@pytest.fixture(autouse=True)
def both_generations(live_servers: dict[str, dict[str, Any]]) -> None:
    """A mixed fleet needs an Airflow 2 and an Airflow 3 (`scripts/test --matrix` runs one)."""
    if {info["api"] for info in live_servers.values()} != {"v1", "v2"}:
        pytest.skip("needs a live Airflow 2 and a live Airflow 3 server")


def expected(live_servers: dict[str, dict[str, Any]], *fields: str) -> list[tuple[str, ...]]:
    """(server name, api, *fields) for every live server, sorted."""
    return sorted((f"af{v}", info["api"], *fields) for v, info in live_servers.items())


@pytest.fixture
def fleet_file(live_servers: dict[str, dict[str, Any]], tmp_path: Path) -> Path:
    path = tmp_path / "fleet.toml"
    path.write_text(
        "".join(
            f'[servers."af{version}"]\nurl = "{info["base_url"]}"\n'
            f'username = "{info["username"]}"\npassword_env = "LIVE_FLEET_PASSWORD"\n'
            for version, info in live_servers.items()
        )
    )
    return path


@pytest.fixture
def failed_runs(live_servers: dict[str, dict[str, Any]]) -> Iterator[tuple[str, datetime]]:
    """A run marked failed on every live server (one id, one logical date): (run_id, date)."""
    run_id = f"fleet-real-{uuid.uuid4().hex[:8]}"
    # a minute of its own in 2024, after the DAG's start_date: the differential tier owns 2025
    start = datetime(2024, 3, 1, tzinfo=timezone.utc)
    moment = start + timedelta(minutes=random.randrange(400_000))
    members = {
        f"af{v}": Server(info["base_url"], username=info["username"], password=info["password"])
        for v, info in live_servers.items()
    }
    with Fleet(members) as fleet:
        fleet.dag_runs.trigger(DAG, run_id=run_id, logical_date=moment).raise_for_errors()
        marked = fleet.dag_runs.set_state(DAG, run_id, "failed").raise_for_errors()
        assert {r.state for r in marked} == {"failed"}
        yield run_id, moment
        fleet.dag_runs.delete(DAG, run_id)


def test_library_fleet_lists_failed_runs_of_both_generations(
    live_servers: dict[str, dict[str, Any]], failed_runs: tuple[str, datetime]
) -> None:
    run_id, moment = failed_runs
    members = {
        f"af{v}": Server(info["base_url"], username=info["username"], password=info["password"])
        for v, info in live_servers.items()
    }
    with Fleet(members) as fleet:
        probe = fleet.probe().raise_for_errors()
        result = fleet.dag_runs.list(
            DAG,
            states="failed",
            logical_date_gte=moment,
            logical_date_lte=moment,
            order_by="-logical_date",
        ).raise_for_errors()
    assert {s.api for s in probe} == {"v1", "v2"} and all(s.auth_ok for s in probe)
    assert sorted((r.server, r.api, r.run_id) for r in result) == expected(live_servers, run_id)


def test_cli_runs_list_state_failed_shows_both_generations(
    live_servers: dict[str, dict[str, Any]], fleet_file: Path, failed_runs: tuple[str, datetime]
) -> None:
    run_id, moment = failed_runs
    day = moment.isoformat()
    args = ["--fleet", str(fleet_file), "runs", "list", "--state", "failed", "--dag", DAG,
            "--date-field", "logical_date", "--since", day, "--until", day]  # fmt: skip

    def cli(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "airflow_bridge.cli", *extra, *args],
            env={"LIVE_FLEET_PASSWORD": "admin", "COLUMNS": "100", "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=False,
        )

    as_json = cli("-o", "json")
    assert as_json.returncode == 0, as_json.stderr
    runs = json.loads(as_json.stdout)
    assert sorted((r["server"], r["api"], r["run_id"], r["state"]) for r in runs) == expected(
        live_servers, run_id, "failed"
    )
    piped = cli()  # no -o and no terminal: stable tab-separated lines, no header
    assert piped.returncode == 0, piped.stderr
    assert sorted(line.split("\t")[:3] for line in piped.stdout.splitlines()) == [
        [f"af{version}", DAG, run_id] for version in sorted(live_servers)
    ]
    table = cli("-o", "table")
    assert table.returncode == 0, table.stderr
    assert all(f"af{version}" in table.stdout for version in live_servers)
    n = len(live_servers)
    assert f"{n} runs from {n} of {n} servers" in table.stdout


def test_demo_runs_against_the_live_servers(live_servers: dict[str, dict[str, Any]]) -> None:
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "airflow_bridge.cli", "demo", "--real"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "127.0.0.1:18210" in done.stdout or "2.10.5" in done.stdout
    assert '"api": "v1"' in done.stdout and '"api": "v2"' in done.stdout
