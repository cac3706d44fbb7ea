"""The runbook from the command line, live on Airflow 2.10.5 and 3.3.2 with their schedulers,
as one fleet of both (issue 16): unpause `bridge_failing`, `runs trigger --wait` exits 1
naming the failed task, `runs tasks --failed` lists `explode`, `runs logs` shows the planned
failure message, `runs clear-tasks --only-failed --yes` queues the run again; then the run
is deleted and the DAG paused again, as it is created.

Every command is the installed module's entry point (`python -m airflow_bridge.cli`) with no
terminal, as in CI. The run has a unique id and a logical date in a minute of its own. While
the test runs, `bridge_failing` is unpaused on the shared servers (for about a minute).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from _scenario_sync import remove

from airflow_bridge import Client
from airflow_bridge.errors import NotFound

pytestmark = pytest.mark.real

DAG = "bridge_failing"
FAILURE = "bridge_failing: planned failure for the runbook tests"
SERVERS = {"af2": "2.10.5", "af3": "3.3.2"}


@pytest.fixture
def fleet_file(live_servers: dict[str, dict[str, Any]], tmp_path: Path) -> Path:
    if set(SERVERS.values()) - set(live_servers):
        pytest.skip("needs the live 2.10.5 and 3.3.2 servers")
    path = tmp_path / "fleet.toml"
    path.write_text(
        "".join(
            f'[servers.{name}]\nurl = "{live_servers[v]["base_url"]}"\n'
            f'username = "{live_servers[v]["username"]}"\npassword_env = "RUNBOOK_PW_{name}"\n'
            for name, v in SERVERS.items()
        )
    )
    return path


@pytest.fixture
def clients(live_servers: dict[str, dict[str, Any]]) -> Iterator[dict[str, Client]]:
    made = {
        name: Client(
            live_servers[v]["base_url"],
            username=live_servers[v]["username"],
            password=live_servers[v]["password"],
        )
        for name, v in SERVERS.items()
        if v in live_servers
    }
    yield made
    for client in made.values():
        client.close()


def cli(fleet: Path, *args: str, passwords: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "airflow_bridge.cli", "--fleet", str(fleet), *args],
        env={**os.environ, **passwords, "COLUMNS": "160"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )


def cleanup(clients: dict[str, Client], run_id: str) -> None:
    """Pause the DAG again, then delete the run: failed first, as 3.3.2 refuses to delete a
    running run, and again while the scheduler restarts it."""
    for client in clients.values():
        client.dags.pause(DAG)
    for client in clients.values():
        remove(client, DAG, run_id, attempts=30)


def test_the_runbook_from_the_command_line(
    fleet_file: Path, clients: dict[str, Client], live_servers: dict[str, dict[str, Any]]
) -> None:
    passwords = {f"RUNBOOK_PW_{n}": str(live_servers[v]["password"]) for n, v in SERVERS.items()}
    run_id = f"cli-rb-{uuid.uuid4().hex[:10]}"
    moment = datetime(2024, 7, 1, tzinfo=timezone.utc) + timedelta(minutes=random.randrange(10**6))

    def json_of(*args: str, code: int = 0) -> list[dict[str, Any]]:
        done = cli(fleet_file, "-o", "json", *args, passwords=passwords)
        assert done.returncode == code, (args, done.stdout, done.stderr)
        return list(json.loads(done.stdout))

    try:
        unpaused = json_of("dags", "unpause", DAG, "--yes")
        assert sorted((d["server"], d["is_paused"]) for d in unpaused) == [
            ("af2", False),
            ("af3", False),
        ]

        waited = json_of("runs", "trigger", DAG, "--run-id", run_id, "--logical-date",
                         moment.isoformat(), "--wait", "--timeout", "300", "--interval", "2",
                         "--yes", code=1)  # fmt: skip
        assert sorted((r["server"], r["state"], r["timed_out"], tuple(r["failed_tasks"]))
                      for r in waited) == [("af2", "failed", False, ("explode",)),
                                           ("af3", "failed", False, ("explode",))]  # fmt: skip

        failed = json_of("runs", "tasks", DAG, run_id, "--failed")
        assert sorted((t["server"], t["task_id"], t["state"], t["try_number"]) for t in failed) == [
            ("af2", "explode", "failed", 1),
            ("af3", "explode", "failed", 1),
        ]
        every = json_of("runs", "tasks", DAG, run_id)
        assert {(t["server"], t["task_id"], t["state"]) for t in every} == {
            (name, task, state)
            for name in SERVERS
            for task, state in (("setup", "success"), ("explode", "failed"),
                                ("after", "upstream_failed"))
        }  # fmt: skip

        records = json_of("runs", "logs", DAG, run_id, "explode")
        for name in SERVERS:
            assert any(FAILURE in r["message"] for r in records if r["server"] == name), name
        lines = cli(fleet_file, "-o", "table", "runs", "logs", DAG, run_id, "explode",
                    passwords=passwords)  # fmt: skip
        assert lines.returncode == 0, lines.stderr
        assert FAILURE in lines.stdout
        errors = [line for line in lines.stdout.splitlines() if " error " in line]
        assert {line.split(" ")[0] for line in errors} == set(SERVERS), lines.stdout

        dry = json_of("runs", "clear-tasks", DAG, run_id, "--only-failed")
        assert sorted((t["server"], t["task_id"]) for t in dry) == [
            ("af2", "after"), ("af2", "explode"), ("af3", "after"), ("af3", "explode"),
        ]  # fmt: skip
        assert {str(c.dag_runs.get(DAG, run_id).state) for c in clients.values()} == {"failed"}

        cleared = json_of("runs", "clear-tasks", DAG, run_id, "--only-failed", "--yes")
        assert sorted((t["server"], t["task_id"]) for t in cleared) == [
            ("af2", "after"), ("af2", "explode"), ("af3", "after"), ("af3", "explode"),
        ]  # fmt: skip
        again = json_of("runs", "get", DAG, run_id)
        # queued again, or already running, as the scheduler's timing falls
        assert {r["server"]: r["state"] in ("queued", "running") for r in again} == {
            "af2": True,
            "af3": True,
        }, again
    finally:
        cleanup(clients, run_id)
    paused = json_of("dags", "list", "--paused", "--pattern", DAG)
    assert sorted((d["server"], d["dag_id"]) for d in paused) == [("af2", DAG), ("af3", DAG)]
    for client in clients.values():
        with pytest.raises(NotFound):
            client.dag_runs.get(DAG, run_id)
