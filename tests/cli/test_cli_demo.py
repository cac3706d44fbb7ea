"""`airflow-bridge demo` and `fake-server`, run as a user runs them (subprocesses)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

ENV = {**os.environ, "COLUMNS": "100"}


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "airflow_bridge.cli", *args],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=timeout,
        check=False,
    )


def test_demo_walks_both_generations_in_a_few_seconds() -> None:
    started = time.monotonic()
    done = cli("demo")
    assert done.returncode == 0, done.stdout + done.stderr
    assert time.monotonic() - started < 15
    out = done.stdout
    for text in ("2.10.5", "3.3.2", "Trigger", "dry run", "newest first", "as JSON"):
        assert text in out
    runs = json.loads(out[out.index("[\n") : out.index("\n]") + 2])
    assert [(r["server"], r["api"], r["state"]) for r in runs] == [
        ("airflow2", "v1", "failed"),
        ("airflow3", "v2", "failed"),
    ]
    assert runs[0]["run_id"] == runs[1]["run_id"]
    assert "Point the same commands at real servers" in out


def test_fake_server_serves_until_interrupted() -> None:
    # The `with` closes the stdout pipe (an unclosed one is a ResourceWarning, an error here).
    with subprocess.Popen(
        [sys.executable, "-m", "airflow_bridge.cli", "fake-server", "--version", "2.10.5",
         "--port", "0", "--user", "ci:s3cret"],
        stdout=subprocess.PIPE,
        text=True,
        env=ENV,
    ) as server:  # fmt: skip
        try:
            assert server.stdout is not None
            banner = server.stdout.readline()
            assert "Fake Airflow 2.10.5 at http://127.0.0.1:" in banner and "users: ci" in banner
            url = banner.split(" at ")[1].split(" ")[0]
            probe = cli("--server", url, "-u", "ci", "-p", "s3cret", "-o", "json", "probe")
            assert probe.returncode == 0, probe.stderr
            (status,) = json.loads(probe.stdout)
            assert (status["version"], status["api"], status["auth_ok"]) == ("2.10.5", "v1", True)
        finally:
            server.send_signal(signal.SIGINT)
            assert server.wait(timeout=10) == 0


def test_fake_server_stops_on_sigterm_even_when_started_in_the_background() -> None:
    # A background job of a non-interactive shell starts with SIGINT ignored.
    with subprocess.Popen(
        ["sh", "-c", f"exec {sys.executable} -m airflow_bridge.cli fake-server --port 0"],
        stdout=subprocess.PIPE,
        text=True,
        env=ENV,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    ) as server:
        assert server.stdout is not None
        assert "Fake Airflow 3.3.2 at http://127.0.0.1:" in server.stdout.readline()
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=10) == 0


def test_fake_server_rejects_an_unknown_version() -> None:
    done = cli("fake-server", "--version", "9.9", "--port", "0")
    assert done.returncode == 2 and "--version" in done.stderr
