"""`--debug` prints Airflow 3's login exchange (`POST /auth/token`) like every other one:
method, path, status, seconds; never its body (the credentials) or the token it answers."""

from __future__ import annotations

import re

from click.testing import CliRunner
from fleet_fakes import fake

from airflow_bridge.cli import cli

SECRET = "pw-never-shown"
LOGIN = re.compile(r"^debug: \S+ http://\S+: login POST /auth/token -> (\d+) in \d+\.\d{3} s$")


def debug_lines(url: str, password: str) -> tuple[list[str], str]:
    result = CliRunner().invoke(
        cli,
        ["--server", url, "-u", "admin", "-p", password, "--debug", "runs", "list"],
        prog_name="airflow-bridge",
    )
    return result.stderr.splitlines(), result.output


def test_the_token_login_is_printed_between_the_probe_and_the_request() -> None:
    with fake("3.3.2", password=SECRET).serve() as served:
        lines, output = debug_lines(served.url, SECRET)
    said = [line.split(": ", 2)[2].split("?")[0] for line in lines if line.startswith("debug")]
    assert [s.split(" ->")[0] for s in said] == [
        "detect GET /api/v2/version",
        "login POST /auth/token",
        "list GET /api/v2/dags/~/dagRuns",
    ]
    logins = [m.group(1) for m in map(LOGIN.match, lines) if m]
    assert logins == ["201"]
    assert SECRET not in output and "eyJ" not in output  # no password, no JWT
    assert "Bearer" not in output and "username" not in output


def test_a_refused_login_is_printed_too() -> None:
    with fake("3.3.2", password=SECRET).serve() as served:
        lines, output = debug_lines(served.url, "wrong-pw")
    assert [m.group(1) for m in map(LOGIN.match, lines) if m] == ["401"]
    assert "wrong-pw" not in output


def test_airflow_2_has_no_login_exchange() -> None:
    with fake("2.10.5", password=SECRET).serve() as served:
        lines, output = debug_lines(served.url, SECRET)
    assert any("GET /api/v1/dags/~/dagRuns" in line for line in lines)
    assert not any("login" in line for line in lines)
    assert SECRET not in output
