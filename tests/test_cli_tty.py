"""The CLI on a real (pseudo-)terminal: a progress bar while servers answer, coloured states."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from pathlib import Path

from fleet_fakes import PASSWORD, V1_RUNS, V2_RUNS, broken, fake


def run_in_terminal(args: list[str], timeout: float = 30) -> tuple[int, str]:
    """Run the CLI with stdin/stdout/stderr on a pty; its exit code and all it drew."""
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "40"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "airflow_bridge.cli", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the pty closes when the process exits
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return process.wait(timeout=5), b"".join(chunks).decode(errors="replace")


def test_progress_bar_and_colours_on_a_terminal(tmp_path: Path) -> None:
    servers = {"af3": fake("3.3.2", V2_RUNS), "af2": fake("2.10.5", V1_RUNS), "bad": broken()}
    for server in servers.values():
        server.inject("*", delay=0.6, times=None)  # the bar is drawn a few times meanwhile
    with (
        servers["af3"].serve() as af3,
        servers["af2"].serve() as af2,
        servers["bad"].serve() as bad,
    ):
        fleet = tmp_path / "fleet.toml"
        fleet.write_text(
            "".join(
                f'[servers.{name}]\nurl = "{url}"\napi = "{api}"\n'
                f'username = "admin"\npassword = "{PASSWORD}"\n'
                for name, url, api in (
                    ("af3", af3.url, "v2"),
                    ("af2", af2.url, "v1"),
                    ("bad", bad.url, "v2"),
                )
            )
        )
        code, screen = run_in_terminal(["--fleet", str(fleet), "runs", "list", "--state", "failed"])
    assert code == 3, screen
    assert "servers answered" in screen  # the progress bar was drawn
    assert "/3" in screen  # as answered/total
    assert "\x1b[1;31mfailed" in screen  # failed runs in bold red
    assert "v2-new" in screen and "v1-mid" in screen
    assert screen.index("v1-mid") < screen.index("1 of 3 servers failed")
