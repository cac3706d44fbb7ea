"""`config add/list` and a server URL with credentials (`http://user:pw@host`): the config
file never holds a password (README, Contexts), and `config list` never prints one, even
from a file an older version wrote."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner, Result

from airflow_bridge.cli import cli

SECRET = "UrlCfgSecret"


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli,
        list(args),
        env={"AIRFLOW_BRIDGE_CONFIG": str(config), "COLUMNS": "200"},
        prog_name="airflow-bridge",
    )


def test_a_password_in_the_url_is_refused_and_nothing_is_stored(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    url = f"http://admin:{SECRET}@127.0.0.1:9"
    result = run(config, "config", "add", "t2", "--server", url)
    assert result.exit_code == 2
    assert "the URL holds a password" in result.output
    assert "--keyring" in result.output and "--password-command" in result.output
    assert "http://127.0.0.1:9" in result.output  # the URL to give instead
    assert SECRET not in result.output
    assert not config.exists()


def test_a_user_in_the_url_becomes_the_contexts_username(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    added = run(config, "config", "add", "t", "--server", "http://ops%40corp@127.0.0.1:9/x")
    assert added.exit_code == 0, added.output
    stored = yaml.safe_load(config.read_text())["contexts"]["t"]
    assert stored == {"server": "http://127.0.0.1:9/x", "username": "ops@corp"}
    same = run(config, "config", "add", "u", "--server", "http://ops@127.0.0.1:9", "-u", "ops")
    assert same.exit_code == 0, same.output
    clash = run(config, "config", "add", "v", "--server", "http://ops@127.0.0.1:9", "-u", "dev")
    assert clash.exit_code == 2 and "give one" in clash.output


def test_list_never_prints_a_password_an_older_version_stored(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {"current": "old", "contexts": {"old": {"server": f"http://a:{SECRET}@h:8080/p"}}}
        )
    )
    for output in ("table", "json", "csv", "yaml"):
        listed = run(config, "-o", output, "config", "list")
        assert listed.exit_code == 0, listed.output
        assert SECRET not in listed.output
    shown = json.loads(run(config, "-o", "json", "config", "list").stdout)
    assert shown[0]["server"] == "http://h:8080/p"
