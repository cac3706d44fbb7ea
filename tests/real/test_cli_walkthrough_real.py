"""The command line an operator uses, against the live Airflow 2.10.5 and 3.3.2 servers, as
one walkthrough on a real terminal (a pty): a two-server fleet file; a trigger aimed at the
fleet asks first, listing both servers, and declining sends nothing; accepting triggers and
waits, and the wait exits 1 because one server's run is set to failed meanwhile; `wait` on
the other server exits 0; a run that stays queued times out with exit 4 and its last state;
a probe; and `delete` needs --yes without a terminal and reports a status per server.

Runs are of `bridge_failing`, paused on both servers, so nothing but this test moves them;
they have unique run ids and a logical date in a minute of their own; all are deleted.
"""

from __future__ import annotations

import json
import os
import pty
import random
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_bridge import Client
from airflow_bridge.errors import NotFound

pytestmark = pytest.mark.real

DAG = "bridge_failing"  # paused on both servers: its runs stay queued unless we move them


@pytest.fixture(autouse=True)
def both_generations(live_servers: dict[str, dict[str, Any]]) -> None:
    if {"2.10.5", "3.3.2"} - set(live_servers):
        pytest.skip("needs the live 2.10.5 and 3.3.2 servers")


@pytest.fixture
def clients(live_servers: dict[str, dict[str, Any]]) -> Iterator[dict[str, Client]]:
    made = {
        f"af{v}": Client(info["base_url"], username=info["username"], password=info["password"])
        for v, info in live_servers.items()
        if v in ("2.10.5", "3.3.2")
    }
    yield made
    for client in made.values():
        client.close()


@pytest.fixture
def fleet_file(live_servers: dict[str, dict[str, Any]], tmp_path: Path) -> Path:
    path = tmp_path / "fleet.toml"
    path.write_text(
        "".join(
            f'[servers."af{v}"]\nurl = "{live_servers[v]["base_url"]}"\n'
            f'username = "admin"\npassword_env = "WALKTHROUGH_PW"\n'
            for v in ("2.10.5", "3.3.2")
        )
    )
    return path


def terminal(
    args: list[str], answers: Sequence[tuple[str, str]] = (), timeout: float = 180
) -> tuple[int, str]:
    """The CLI on a pty (stdin, stdout, stderr), typing each answer after its prompt."""
    master, slave = pty.openpty()
    env = {**os.environ, "WALKTHROUGH_PW": "admin", "TERM": "xterm", "COLUMNS": "160"}
    process = subprocess.Popen(
        [sys.executable, "-m", "airflow_bridge.cli", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    screen, pending = b"", list(answers)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        screen += chunk
        if pending and pending[0][0].encode() in screen:
            os.write(master, pending.pop(0)[1].encode() + b"\n")
    os.close(master)
    return process.wait(timeout=10), screen.decode(errors="replace")


def piped(args: list[str]) -> subprocess.CompletedProcess[str]:
    """The CLI with no terminal at all (as in CI)."""
    return subprocess.run(
        [sys.executable, "-m", "airflow_bridge.cli", *args],
        env={**os.environ, "WALKTHROUGH_PW": "admin"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def exists(client: Client, run_id: str) -> bool:
    try:
        client.dag_runs.get(DAG, run_id)
    except NotFound:
        return False
    return True


def test_walkthrough(clients: dict[str, Client], fleet_file: Path) -> None:
    run_id = f"cli-walk-{uuid.uuid4().hex[:10]}"
    late_id = f"{run_id}-late"
    moment = datetime(2024, 6, 1, tzinfo=timezone.utc) + timedelta(minutes=random.randrange(10**6))
    fleet = ["--fleet", str(fleet_file)]
    trigger = [*fleet, "runs", "trigger", DAG, "--run-id", run_id,
               "--logical-date", moment.isoformat()]  # fmt: skip
    try:
        # 1. aimed at the fleet: the servers are listed and nothing is sent when declined
        code, screen = terminal(trigger, [("Continue?", "n")])
        assert code == 1, screen
        assert "on 2 server(s):" in screen and "af2.10.5" in screen and "af3.3.2" in screen
        assert not any(exists(c, run_id) for c in clients.values())

        # 2. accepted, with --wait: one server's run is set failed meanwhile -> exit 1
        def move_runs() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not all(
                exists(c, run_id) for c in clients.values()
            ):
                time.sleep(0.5)
            clients["af2.10.5"].dag_runs.set_state(DAG, run_id, "success")
            clients["af3.3.2"].dag_runs.set_state(DAG, run_id, "failed")

        mover = threading.Thread(target=move_runs)
        mover.start()
        code, screen = terminal(
            [*trigger, "--wait", "--interval", "1", "--timeout", "120"], [("Continue?", "y")]
        )
        mover.join()
        assert code == 1, screen
        assert f"{DAG}: failed on af3.3.2" in screen
        assert f"warning: {DAG} is paused on af2.10.5, af3.3.2" in screen.replace("\r\n", " ")
        assert "success" in screen and run_id in screen

        # 2b. waiting again for the failed one: exit 1 at once, JSON with its failed tasks
        # (none: it was marked failed while queued, so no task instance ran or failed)
        again = piped([*fleet, "-s", "af3.3.2", "runs", "wait", DAG, run_id, "-o", "json"])
        assert again.returncode == 1, again.stderr
        (record,) = json.loads(again.stdout)
        assert (record["state"], record["timed_out"], record["failed_tasks"]) == (
            "failed", False, [],
        )  # fmt: skip

        # 3. the same run on the server where it succeeded: exit 0, final state in JSON
        ok = piped([*fleet, "-s", "af2.10.5", "runs", "wait", DAG, run_id, "-o", "json"])
        assert ok.returncode == 0, ok.stderr
        (record,) = json.loads(ok.stdout)
        assert (record["state"], record["timed_out"], record["api"]) == ("success", False, "v1")

        # 4. a run nobody moves (the DAG is paused): --timeout says what it last saw, exit 4
        made = piped([*fleet, "-s", "af3.3.2", "runs", "trigger", DAG, "--run-id", late_id,
                      "--logical-date", (moment + timedelta(seconds=1)).isoformat()])  # fmt: skip
        assert made.returncode == 0, made.stderr
        late = piped([*fleet, "-s", "af3.3.2", "runs", "wait", DAG, late_id, "--timeout", "3",
                      "--interval", "1", "-o", "json"])  # fmt: skip
        assert late.returncode == 4, late.stderr
        (record,) = json.loads(late.stdout)
        assert (record["state"], record["timed_out"]) == ("queued", True)
        assert "still queued on af3.3.2" in late.stderr

        # 5. probe: both reachable, basic auth accepted, versions and API generations
        probe = piped([*fleet, "-o", "json", "probe"])
        records = {r["server"]: r for r in json.loads(probe.stdout)}
        assert (records["af2.10.5"]["version"], records["af2.10.5"]["api"]) == ("2.10.5", "v1")
        assert (records["af3.3.2"]["version"], records["af3.3.2"]["api"]) == ("3.3.2", "v2")
        assert records["af2.10.5"]["auth"] == "basic"
        assert records["af3.3.2"]["auth"] == "token login"
        assert all(r["auth_ok"] for r in records.values())
        assert probe.returncode in (0, 6), probe.stdout  # 6 only if a component is unhealthy
        if probe.returncode == 6:
            assert any(r["problem"] == "unhealthy" and r["unhealthy"] for r in records.values())

        # 5b. a refused password: exit 5 and each server's own reason
        wrong = fleet_file.parent / "wrong.toml"
        given = fleet_file.read_text()
        wrong.write_text(given.replace("password_env = ", "password = ").replace(
            '"WALKTHROUGH_PW"', '"not-the-password"'))  # fmt: skip
        refused_probe = piped(["--fleet", str(wrong), "-o", "json", "probe"])
        assert refused_probe.returncode == 5, refused_probe.stdout
        reasons = {
            r["server"]: (r["problem"], r["error"]) for r in json.loads(refused_probe.stdout)
        }
        assert reasons["af3.3.2"][0] == reasons["af2.10.5"][0] == "auth refused"
        assert "Invalid credentials" in reasons["af3.3.2"][1]  # 3.3.2's login says why
        assert "Unauthorized" in reasons["af2.10.5"][1]
        assert "not-the-password" not in refused_probe.stdout + refused_probe.stderr

        # 6. delete: refused without a terminal and --yes; then a status per server
        refused = piped([*fleet, "runs", "delete", DAG, run_id])
        assert refused.returncode == 2 and "add --yes" in refused.stderr
        assert all(exists(c, run_id) for c in clients.values())
        deleted = piped([*fleet, "-o", "json", "runs", "delete", DAG, late_id, "--yes"])
        statuses = {r["server"]: r["status"] for r in json.loads(deleted.stdout)}
        assert statuses == {"af2.10.5": "not found", "af3.3.2": "deleted"}
        assert deleted.returncode == 3
    finally:
        for client in clients.values():
            for rid in (run_id, late_id):
                if exists(client, rid):
                    client.dag_runs.delete(DAG, rid)
