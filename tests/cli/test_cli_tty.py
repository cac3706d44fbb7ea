"""The CLI on a real (pseudo-)terminal: a progress bar while servers answer, coloured states."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from pathlib import Path

from fleet_fakes import PASSWORD, V1_RUNS, V2_RUNS, broken, fake, seed, sent


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


def converse(
    args: list[str], answers: list[tuple[str, str]], timeout: float = 30
) -> tuple[int, str]:
    """Run the CLI on a pty, typing each answer once its prompt has appeared; its exit code
    and all it drew."""
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "40"}
    process = subprocess.Popen(
        [sys.executable, "-m", "airflow_bridge.cli", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    screen = b""
    pending = list(answers)
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
    return process.wait(timeout=5), screen.decode(errors="replace")


def two_server_fleet(tmp_path: Path, af3: str, af2: str) -> Path:
    fleet = tmp_path / "fleet.toml"
    fleet.write_text(
        "".join(
            f'[servers.{name}]\nurl = "{url}"\nusername = "admin"\npassword = "{PASSWORD}"\n'
            for name, url in (("af3", af3), ("af2", af2))
        )
    )
    return fleet


def test_fleet_trigger_asks_first_listing_the_servers(tmp_path: Path) -> None:
    servers = {"af3": fake("3.3.2"), "af2": fake("2.10.5")}
    with servers["af3"].serve() as af3, servers["af2"].serve() as af2:
        fleet = two_server_fleet(tmp_path, af3.url, af2.url)
        args = ["--fleet", str(fleet), "runs", "trigger", "etl"]
        declined, said_no = converse(args, [("Continue?", "n")])
        assert declined == 1, said_no
        assert "trigger etl on 2 server(s):" in said_no
        assert f"af3  {af3.url}" in said_no and f"af2  {af2.url}" in said_no
        assert all(sent(s, "POST") == [] for s in servers.values())
        accepted, said_yes = converse(args, [("Continue?", "y")])
    assert accepted == 0, said_yes
    assert all(len(sent(s, "POST")) == 1 for s in servers.values())


def test_clear_on_a_terminal_asks_after_the_dry_run(tmp_path: Path) -> None:
    servers = {"af3": fake("3.3.2"), "af2": fake("2.10.5")}
    for server in servers.values():
        seed(server, "r1", state="failed", start=2)
    with servers["af3"].serve() as af3, servers["af2"].serve() as af2:
        fleet = two_server_fleet(tmp_path, af3.url, af2.url)
        code, screen = converse(
            ["--fleet", str(fleet), "runs", "clear", "etl", "r1"], [("Clear them on", "y")]
        )
    assert code == 0, screen
    assert "would be cleared" in screen and "Clear them on af3, af2?" in screen
    assert (servers["af3"].state("r1"), servers["af2"].state("r1")) == ("queued", "queued"), screen


def test_delete_on_a_terminal_asks_even_for_one_server(tmp_path: Path) -> None:
    af2 = fake("2.10.5")
    seed(af2, "r1")
    with af2.serve() as server:
        code, screen = converse(
            ["--server", server.url, "-u", "admin", "-p", PASSWORD, "runs", "delete", "etl", "r1"],
            [("Continue?", "n")],
        )
    assert code == 1 and "delete etl/r1 on 1 server(s)" in screen
    assert af2.store.run("etl", "r1") is not None


def test_password_prompt_is_hidden(tmp_path: Path) -> None:
    af3 = fake("3.3.2", V2_RUNS)
    with af3.serve() as server:
        code, screen = converse(
            ["--server", server.url, "-u", "admin", "-o", "json", "runs", "list"],
            [("Password for admin on", PASSWORD)],
        )
    assert code == 0, screen
    assert "v2-new" in screen
    assert PASSWORD not in screen  # not echoed
