"""A `--token-command` / `password_command` that fails says what happened: the command was
not found (its name), or it exited with status N (and the first line of its standard
error), never what it printed on standard output."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fleet_fakes import fake

from airflow_bridge.cli import cli

PRINTED = "printed-token-never-shown"
#: Prints a token, two lines of standard error, and exits 3 (the texts it prints are joined
#: at run time, so they are not in the command line, which errors may name).
FAILING = (
    f'{sys.executable} -c \'import sys; print("printed-token" + "-never-shown"); '
    'sys.stderr.write("first-err\\n" + "second" + "-err\\n"); sys.exit(3)\''
)
MISSING = "airflow-bridge-no-such-command-x1"


@pytest.fixture
def url() -> Iterator[str]:
    with fake("3.3.2").serve() as served:
        yield served.url


def run(*args: str) -> str:
    """The exit status and the output with its line wrapping undone."""
    result = CliRunner().invoke(cli, list(args), prog_name="airflow-bridge")
    return f"{result.exit_code} {' '.join(result.output.split())}"


@pytest.mark.parametrize(
    ("command", "said"),
    [
        ("false", "exited with status 1"),
        (FAILING, "exited with status 3: first-err"),
        (MISSING, f"command not found: '{MISSING}'"),
    ],
)
def test_a_failing_token_command_says_what_happened(url: str, command: str, said: str) -> None:
    output = run("--server", url, "--token-command", command, "runs", "list")
    assert output.startswith("1 ")
    assert "CredentialsUnavailable: the token command failed:" in output
    assert said in output
    assert "OSError" not in output
    assert PRINTED not in output and "second-err" not in output


@pytest.mark.parametrize(
    ("command", "said"),
    [
        ("false", "exited with status 1"),
        (FAILING, "exited with status 3: first-err"),
        (MISSING, f"command not found: '{MISSING}'"),
    ],
)
def test_a_failing_password_command_says_what_happened(
    url: str, tmp_path: Path, command: str, said: str
) -> None:
    fleet = tmp_path / "fleet.toml"
    quoted = command.replace("\\", "\\\\").replace('"', '\\"')
    fleet.write_text(
        f'[servers.a]\nurl = "{url}"\nusername = "admin"\npassword_command = "{quoted}"\n'
    )
    output = run("--fleet", str(fleet), "runs", "list")
    assert output.startswith("2 ")
    assert "key 'password_command'" in output and said in output
    assert PRINTED not in output and "second-err" not in output


def test_a_failing_command_names_only_its_program() -> None:
    """The rest of a command line may hold a secret: a failure names the program only."""
    from airflow_bridge.fleet._config import command_secret

    with pytest.raises(OSError) as caught:
        command_secret("sh -c 'exit 3' --secret=hunter2")
    assert "'sh'" in str(caught.value) and "hunter2" not in str(caught.value)
    with pytest.raises(OSError, match="empty"):
        command_secret("  ")
