"""The CLI as operators depend on it (issue 15): safe fleet writes, CI-grade wait, where
servers and secrets come from, output formats, probe's diagnoses, --debug and -v.

Every test runs the real `cli` group (click's runner, so stdin is not a terminal; the pty
cases are in test_cli_tty.py) against FakeAirflow servers on 127.0.0.1.
"""

from __future__ import annotations

import csv
import io
import json
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
import yaml
from click.testing import CliRunner, Result
from fleet_fakes import V1_RUNS, V2_RUNS, fake, seed, sent

from airflow_bridge.cli import cli
from airflow_bridge.cli._records import RUN_FIELDS
from airflow_bridge.testing import FakeAirflow
from airflow_bridge.testing._api import Api

SECRET = "pw-never-shown"


def free_url() -> str:
    """A loopback URL nothing listens on (unreachable)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def servers() -> dict[str, FakeAirflow]:
    return {
        "af3": fake("3.3.2", V2_RUNS, password=SECRET),
        "af2": fake("2.10.5", V1_RUNS, password=SECRET),
    }


@pytest.fixture
def fleet_file(tmp_path: Path, servers: dict[str, FakeAirflow]) -> Iterator[Path]:
    with servers["af3"].serve() as af3, servers["af2"].serve() as af2:
        path = tmp_path / "fleet.toml"
        path.write_text(
            "".join(
                f'[servers.{name}]\nurl = "{url}"\nusername = "admin"\n'
                f'password_env = "{name.upper()}_PW"\ntags = ["{tag}"]\n'
                for name, url, tag in (("af3", af3.url, "new"), ("af2", af2.url, "old"))
            )
        )
        yield path


ENV = {"AF3_PW": SECRET, "AF2_PW": SECRET, "COLUMNS": "100"}


def run(*args: str, env: dict[str, Any] | None = None, input: str | None = None) -> Result:
    return CliRunner().invoke(
        cli, list(args), env={**ENV, **(env or {})}, input=input, prog_name="airflow-bridge"
    )


# -- safety --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "write",
    [
        ["runs", "trigger", "etl"],
        ["runs", "set-state", "etl", "v2-old", "failed"],
        ["runs", "note", "etl", "v2-old", "x"],
        ["runs", "delete", "etl", "v2-old"],
    ],
)  # `clear` without --yes is a dry run off a terminal (test_cli.py); on one it asks (pty)
def test_fleet_writes_need_yes_or_select_without_a_terminal(
    fleet_file: Path, servers: dict[str, FakeAirflow], write: list[str]
) -> None:
    result = run("--fleet", str(fleet_file), *write)
    assert result.exit_code == 2, result.output
    assert "add --yes, or choose the servers with -s" in result.output
    assert "af3, af2" in result.output
    for server in servers.values():  # nothing was written anywhere
        assert [r for r in sent(server) if r.method != "GET"] == []


def test_fleet_write_goes_ahead_with_yes_or_an_explicit_select(
    fleet_file: Path, servers: dict[str, FakeAirflow]
) -> None:
    with_yes = run("--fleet", str(fleet_file), "-o", "json", "runs", "trigger", "etl", "--yes")
    assert with_yes.exit_code == 0, with_yes.output
    assert [r["server"] for r in json.loads(with_yes.stdout)] == ["af3", "af2"]
    chosen = run("--fleet", str(fleet_file), "-s", "af3,af2", "runs", "trigger", "etl")
    assert chosen.exit_code == 0, chosen.output
    assert len(sent(servers["af2"], "POST")) == 2


def test_fleet_flag_with_a_server_from_the_environment_is_an_error(
    fleet_file: Path, servers: dict[str, FakeAirflow]
) -> None:
    result = run("--fleet", str(fleet_file), "runs", "list",
                 env={"AIRFLOW_BRIDGE_SERVER": "http://elsewhere:8080"})  # fmt: skip
    assert result.exit_code == 2
    assert "AIRFLOW_BRIDGE_SERVER (environment)" in result.output
    assert "--fleet (commandline)" in result.output
    assert all(sent(s) == [] for s in servers.values())


def test_secrets_are_read_only_for_the_selected_servers(
    fleet_file: Path, servers: dict[str, FakeAirflow]
) -> None:
    only_af2 = run("--fleet", str(fleet_file), "-s", "af2", "-o", "json", "runs", "list",
                   env={"AF3_PW": None})  # fmt: skip
    assert only_af2.exit_code == 0, only_af2.output
    assert {r["server"] for r in json.loads(only_af2.stdout)} == {"af2"}
    everyone = run("--fleet", str(fleet_file), "runs", "list", env={"AF3_PW": None})
    assert everyone.exit_code == 2 and "AF3_PW is not set" in everyone.output


def test_password_command_and_no_prompt_without_a_terminal(
    servers: dict[str, FakeAirflow], tmp_path: Path
) -> None:
    with servers["af2"].serve() as server:
        fleet = tmp_path / "fleet.toml"
        command = f"{sys.executable} -c 'print(\"{SECRET}\")'"
        fleet.write_text(
            f'[servers.a]\nurl = "{server.url}"\nusername = "admin"\n'
            f"password_command = {json.dumps(command)}\n"
        )
        by_command = run("--fleet", str(fleet), "-o", "json", "runs", "list")
        no_password = run("--server", server.url, "-u", "admin", "runs", "list")
    assert by_command.exit_code == 0, by_command.output
    assert len(json.loads(by_command.stdout)) == 2
    assert no_password.exit_code == 2
    assert "no password for 'admin'" in no_password.output


# -- wait ----------------------------------------------------------------------------------------


def test_wait_exit_codes_for_success_failure_and_an_unreachable_server(
    servers: dict[str, FakeAirflow], tmp_path: Path
) -> None:
    af3 = servers["af3"]
    seed(af3, "ok1", state="running", start=2)
    seed(af3, "bad1", state="running", start=2)
    with af3.serve() as server:
        fleet = tmp_path / "fleet.toml"
        fleet.write_text(
            f'[servers.af3]\nurl = "{server.url}"\nusername = "admin"\npassword = "{SECRET}"\n'
            f'[servers.gone]\nurl = "{free_url()}"\napi = "v2"\n'
        )
        base = ["--fleet", str(fleet), "--timeout", "5"]
        af3.advance("ok1", to="success")
        af3.advance("bad1", to="failed")
        ok = run(*base, "-s", "af3", "runs", "wait", "etl", "ok1", "--interval", "0.1")
        failed = run(*base, "-s", "af3", "runs", "wait", "etl", "bad1", "-o", "json")
        partial = run(*base, "runs", "wait", "etl", "ok1", "--interval", "0.1", "-o", "json")
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.split("\t")[:4] == ["af3", "etl", "ok1", "success"]  # the final state
    assert failed.exit_code == 1 and "etl: failed on af3" in failed.stderr
    (record,) = json.loads(failed.stdout)
    assert (record["state"], record["timed_out"]) == ("failed", False)
    failed_tasks = [ti.task_id for ti in af3.store.find("bad1", dag_id="etl").tasks
                    if ti.state == "failed"]  # fmt: skip
    assert failed_tasks and record["failed_tasks"] == failed_tasks
    assert f"af3: failed tasks: {', '.join(failed_tasks)}" in failed.stderr
    assert partial.exit_code == 3, partial.output
    assert [r["server"] for r in json.loads(partial.stdout)] == ["af3"]
    assert "gone" in partial.stderr and "TransportError" in partial.stderr


def test_trigger_wait_follows_each_servers_own_run(
    fleet_file: Path, servers: dict[str, FakeAirflow]
) -> None:
    for server in servers.values():
        server.auto = 1  # the scheduler moves each run one state per request
    result = run("--fleet", str(fleet_file), "-s", "af3,af2", "-o", "json",
                 "runs", "trigger", "etl", "--wait", "--interval", "0.1")  # fmt: skip
    assert result.exit_code == 0, result.output
    waited = json.loads(result.stdout)
    assert {(r["server"], r["state"], r["timed_out"]) for r in waited} == {
        ("af3", "success", False),
        ("af2", "success", False),
    }
    run_ids = {r["server"]: r["run_id"] for r in waited}
    for name, server in servers.items():  # each server was polled for the run it made
        assert sent(server, "GET")[-1].path.endswith(f"/dagRuns/{run_ids[name]}")


def test_trigger_that_triggers_nothing_says_so(servers: dict[str, FakeAirflow]) -> None:
    with servers["af2"].serve() as server:
        result = run("--server", server.url, "-u", "admin", "-p", SECRET, "-o", "table",
                     "runs", "trigger", "no_such_dag", "--wait")  # fmt: skip
    assert result.exit_code == 1
    assert "nothing triggered" in result.stdout and "NotFound" in result.stderr


# -- output --------------------------------------------------------------------------------------


def test_output_option_at_every_level_and_yaml(fleet_file: Path) -> None:
    after = run("--fleet", str(fleet_file), "-s", "af2", "runs", "list", "-o", "json")
    middle = run("--fleet", str(fleet_file), "-s", "af2", "runs", "-o", "json", "list")
    before = run("--fleet", str(fleet_file), "-s", "af2", "-o", "csv", "runs", "list", "-o", "json")
    assert after.exit_code == middle.exit_code == before.exit_code == 0
    assert json.loads(after.stdout) == json.loads(middle.stdout) == json.loads(before.stdout)
    as_yaml = run("--fleet", str(fleet_file), "-s", "af2", "runs", "list", "-o", "yaml")
    assert yaml.safe_load(as_yaml.stdout) == json.loads(after.stdout)
    probe_yaml = run("--fleet", str(fleet_file), "-s", "af2", "probe", "-o", "yaml")
    assert yaml.safe_load(probe_yaml.stdout)[0]["healthy"] is True


def test_columns_choose_keys_in_every_format(fleet_file: Path) -> None:
    base = ["--fleet", str(fleet_file), "-s", "af2", "runs", "list", "--columns", "run_id,state"]
    as_json = run(*base, "-o", "json")
    assert json.loads(as_json.stdout) == [
        {"run_id": "v1-newest", "state": "running"},
        {"run_id": "v1-mid", "state": "failed"},
    ]
    assert run(*base).stdout == "v1-newest\trunning\nv1-mid\tfailed\n"
    assert run(*base, "-o", "csv").stdout.splitlines()[0] == "run_id,state"
    unknown = run("--fleet", str(fleet_file), "runs", "list", "--columns", "nope")
    assert unknown.exit_code == 2 and "known: server, api, dag_id" in unknown.output


def test_csv_follows_the_json_order_with_lowercase_booleans(fleet_file: Path) -> None:
    as_json = run("--fleet", str(fleet_file), "-o", "json", "probe")
    as_csv = run("--fleet", str(fleet_file), "-o", "csv", "probe")
    records = json.loads(as_json.stdout)
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows[0] == list(records[0])
    assert rows[1][rows[0].index("auth_ok")] == "true"
    listed = run("--fleet", str(fleet_file), "-o", "json", "runs", "list")
    assert list(json.loads(listed.stdout)[0]) == list(RUN_FIELDS)


def test_piped_output_is_stable_tab_separated_lines(fleet_file: Path) -> None:
    first = run("--fleet", str(fleet_file), "runs", "list")
    again = run("--fleet", str(fleet_file), "runs", "list")
    assert first.exit_code == 0 and first.stdout == again.stdout
    lines = [line.split("\t") for line in first.stdout.splitlines()]
    assert {len(line) for line in lines} == {9}  # the table's columns, no header
    assert lines[0][:4] == ["af2", "etl", "v1-newest", "running"]
    assert lines[0][6] == "2024-01-06T00:00:00+00:00"  # raw ISO dates


def test_narrow_tables_keep_ids_whole_and_say_what_was_dropped(
    servers: dict[str, FakeAirflow], tmp_path: Path
) -> None:
    long_run = "scheduled__2024-05-01T00:00:00+00:00_with_a_long_suffix"
    seed(servers["af3"], long_run, state="failed", start=3)
    with servers["af3"].serve() as a, servers["af2"].serve() as b:
        fleet = tmp_path / "fleet.toml"
        fleet.write_text(
            "".join(
                f'[servers."{name}"]\nurl = "{url}"\nusername = "admin"\npassword = "{SECRET}"\n'
                for name, url in (("127.0.0.1:38001-af3", a.url), ("127.0.0.1:38002-af2", b.url))
            )
        )
        result = run("--fleet", str(fleet), "-o", "table", "runs", "list", env={"COLUMNS": "95"})
    assert result.exit_code == 0, result.output
    assert "127.0.0.1:38001-af3" in result.stdout and "127.0.0.1:38002-af2" in result.stdout
    assert long_run in result.stdout  # never cut or folded
    assert "not shown (too narrow): type, logical, start, took, note" in result.stdout
    assert "failed" in result.stdout and "running" in result.stdout  # kept, not cut
    assert max(len(line) for line in result.stdout.splitlines()) <= 95


@pytest.mark.parametrize("width", ["60", "40"])
def test_a_terminal_narrower_than_the_ids_gets_long_lines_not_cut_ids(
    servers: dict[str, FakeAirflow], tmp_path: Path, width: str
) -> None:
    long_run = "manual__2026-11-29T14:07:45.323123+00:00_f07a9b3c2d1e0f4a"  # the client's form
    seed(servers["af3"], long_run, state="failed", start=3)
    with servers["af3"].serve() as a:
        fleet = tmp_path / "fleet.toml"
        fleet.write_text(
            f'[servers.af3]\nurl = "{a.url}"\nusername = "admin"\npassword = "{SECRET}"\n'
        )
        result = run("--fleet", str(fleet), "-o", "table", "runs", "list", env={"COLUMNS": width})
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if long_run in line)
    assert row.split()[:3] == ["af3", "etl", long_run]  # server, dag and run id, whole


# -- probe ---------------------------------------------------------------------------------------


def test_probe_tells_unreachable_from_refused_from_unhealthy(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    original = Api.get_health

    def scheduler_down(self: Api, call: Any) -> Any:
        """2.10.5's answer when the scheduler's heartbeat is stale: status "unhealthy"."""
        response = original(self, call)
        if not getattr(self, "_down", False):
            return response
        body = json.loads(response.body)
        body["scheduler"]["status"] = "unhealthy"
        return self.ok(body)

    monkeypatch.setattr(Api, "get_health", scheduler_down)
    good, refusing, sick = fake("3.3.2"), fake("2.10.5", password="other"), fake("2.10.5")
    sick._api._down = True  # type: ignore[attr-defined]
    with good.serve() as g, refusing.serve() as r, sick.serve() as s:
        fleet = tmp_path / "fleet.toml"
        fleet.write_text(
            "".join(
                f'[servers.{name}]\nurl = "{url}"\nusername = "admin"\npassword = "s3cret-pw"\n'
                for name, url in (
                    ("good", g.url),
                    ("refusing", r.url),
                    ("sick", s.url),
                    ("gone", free_url()),
                )
            )
        )
        base = ["--fleet", str(fleet), "--timeout", "5", "probe"]
        everything = run(*base, "-o", "json")
        refused = run("-s", "good,refusing,sick", *base)
        unhealthy = run("-s", "good,sick", *base, "-o", "table")
        fine = run("-s", "good", *base)
    records = {r["server"]: r for r in json.loads(everything.stdout)}
    assert everything.exit_code == 3
    assert records["good"]["problem"] is None and records["good"]["auth"] == "token login"
    assert records["sick"]["auth"] == "basic"  # 2.10.5: HTTP Basic
    assert records["gone"]["problem"] == "unreachable"
    assert records["refusing"]["problem"] == "auth refused"
    assert "401" in records["refusing"]["error"] or "nauthorized" in records["refusing"]["error"]
    assert records["sick"]["problem"] == "unhealthy" and records["sick"]["unhealthy"] == [
        "scheduler"
    ]
    assert refused.exit_code == 5
    assert unhealthy.exit_code == 6 and "scheduler: unhealthy" in unhealthy.stdout, repr(
        unhealthy.stdout
    )
    assert fine.exit_code == 0


def test_probe_table_shows_a_dash_not_none(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.toml"
    fleet.write_text(f'[servers.gone]\nurl = "{free_url()}"\n')
    result = run("--fleet", str(fleet), "--timeout", "3", "-o", "table", "probe")
    assert result.exit_code == 1
    assert "None" not in result.stdout and "—" in result.stdout
    assert "unreachable" in result.stdout


# -- --debug and -v ------------------------------------------------------------------------------


def test_debug_prints_each_exchange_without_secrets(fleet_file: Path) -> None:
    result = run("--fleet", str(fleet_file), "-s", "af3", "--debug", "runs", "list")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("debug: af3 ")]
    assert any("GET /api/v2/dags/~/dagRuns" in line and "200" in line for line in lines)
    assert all("attempt 1" in line for line in lines if "GET /api/v2/dags" in line)
    assert any(" s " in line or " s (" in line for line in lines)  # elapsed seconds
    assert SECRET not in result.output


def test_verbose_says_what_was_decided(fleet_file: Path) -> None:
    result = run("--fleet", str(fleet_file), "-v", "-s", "tag:old", "runs", "list")
    assert result.exit_code == 0, result.output
    assert f"fleet file {fleet_file} (from --fleet)" in result.stderr
    assert "selected: af2 (secrets read for these only)" in result.stderr
    assert "af2: API v1 detected, Airflow 2.10.5" in result.stderr


# -- contexts, TLS, auth, the environment --------------------------------------------------------


def test_contexts_add_use_list_remove_and_precedence(
    servers: dict[str, FakeAirflow], tmp_path: Path, fleet_file: Path
) -> None:
    config = tmp_path / "config.yaml"
    env = {"AIRFLOW_BRIDGE_CONFIG": str(config)}
    command = f"{sys.executable} -c 'import os; print(os.environ[\"CTX_PW\"])'"
    env["CTX_PW"] = SECRET
    with servers["af2"].serve() as server:
        added = run("config", "add", "old", "--server", server.url, "-u", "admin",
                    "--password-command", command, env=env)  # fmt: skip
        assert added.exit_code == 0, added.output
        assert SECRET not in config.read_text()
        run("config", "add", "both", "--fleet", str(fleet_file), "--use", env=env)
        listed = run("config", "list", "-o", "json", env=env)
        assert [(c["name"], c["current"]) for c in json.loads(listed.stdout)] == [
            ("old", False),
            ("both", True),
        ]
        current = run("-o", "json", "runs", "list", env=env)
        assert {r["server"] for r in json.loads(current.stdout)} == {"af3", "af2"}
        assert run("config", "use", "old", env=env).exit_code == 0
        used = run("-v", "-o", "json", "runs", "list", env=env)
        assert used.exit_code == 0, used.output
        assert {r["server"] for r in json.loads(used.stdout)} == {"old"}
        assert "context 'old' (the current context" in used.stderr
        named = run("--context", "both", "-s", "af3", "-o", "json", "runs", "list", env=env)
        assert {r["server"] for r in json.loads(named.stdout)} == {"af3"}
        flag_wins = run("--fleet", str(fleet_file), "-s", "af3", "-o", "json", "runs", "list",
                        env=env)  # fmt: skip
        assert {r["server"] for r in json.loads(flag_wins.stdout)} == {"af3"}
    assert run("config", "remove", "old", env=env).exit_code == 0
    assert run("--context", "old", "runs", "list", env=env).exit_code == 2
    config.write_text(config.read_text().replace("fleet:", "password: hunter2\n    fleet:"))
    wrong = run("--context", "both", "runs", "list", env=env)
    assert wrong.exit_code == 2 and "context 'both': unknown key 'password'" in wrong.output


def test_keyring_password_for_a_context(
    servers: dict[str, FakeAirflow], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring = pytest.importorskip("keyring")
    from keyring.backend import KeyringBackend

    class Memory(KeyringBackend):
        priority = 1  # type: ignore[assignment]
        stored: ClassVar[dict[tuple[str, str], str]] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.stored.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.stored[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            del self.stored[(service, username)]

    previous = keyring.get_keyring()
    keyring.set_keyring(Memory())
    try:
        env = {"AIRFLOW_BRIDGE_CONFIG": str(tmp_path / "c.yaml")}
        with servers["af3"].serve() as server:
            added = run("config", "add", "k", "--server", server.url, "-u", "admin", "--keyring",
                        input=f"{SECRET}\n", env=env)  # fmt: skip
            assert added.exit_code == 0, added.output
            assert list(Memory.stored.values()) == [SECRET]
            listed = run("-o", "json", "runs", "list", env=env)
        assert listed.exit_code == 0, listed.output
        assert len(json.loads(listed.stdout)) == 3
        assert run("config", "remove", "k", env=env).exit_code == 0
        assert Memory.stored == {}
    finally:
        keyring.set_keyring(previous)


def test_tls_flags(servers: dict[str, FakeAirflow], tmp_path: Path) -> None:
    with servers["af2"].serve() as server:
        insecure = run("--server", server.url, "-u", "admin", "-p", SECRET, "--insecure",
                       "runs", "list")  # fmt: skip
        bundle = tmp_path / "ca.pem"
        bundle.write_text("not a certificate")
        bad_bundle = run("--server", server.url, "-u", "admin", "-p", SECRET,
                         "--ca-bundle", str(bundle), "runs", "list")  # fmt: skip
    assert insecure.exit_code == 0 and "warning: --insecure" in insecure.stderr
    assert bad_bundle.exit_code == 2 and "ca.pem" in bad_bundle.output


def test_auth_scheme_from_the_command_line_and_the_fleet_file(
    servers: dict[str, FakeAirflow], tmp_path: Path
) -> None:
    af3 = servers["af3"]
    with af3.serve() as server:
        login_body = {"username": "admin", "password": SECRET}
        token = httpx.post(f"{server.url}/auth/token", json=login_body).json()["access_token"]
        command = f"{sys.executable} -c 'print(\"{token}\")'"
        by_flag = run("--server", server.url, "--auth", "token-command", "--token-command",
                      command, "-o", "json", "probe")  # fmt: skip
        fleet = tmp_path / "fleet.toml"
        fleet.write_text(
            f'[servers.t]\nurl = "{server.url}"\nauth = "token-command"\n'
            f"token_command = {json.dumps(command)}\n"
            f'[servers.k]\nurl = "{server.url}"\nauth = "kerberos"\n'
            'auth_options = { service = "airflow", nonsense = 1 }\n'
        )
        by_file = run("--fleet", str(fleet), "-s", "t", "-o", "json", "probe")
        broken_scheme = run("--fleet", str(fleet), "-s", "k", "probe")
    assert by_flag.exit_code == 0, by_flag.output
    assert json.loads(by_flag.stdout)[0]["auth"] == "TokenProvider"
    assert by_file.exit_code == 0, by_file.output
    assert json.loads(by_file.stdout)[0]["auth_ok"] is True
    assert broken_scheme.exit_code == 2 and "key 'auth': kerberos" in broken_scheme.output
    assert token not in by_flag.output + by_file.output


def test_every_environment_variable_is_in_the_help() -> None:
    text = run("--help").output
    for variable in ("SERVER", "FLEET", "CONTEXT", "USERNAME", "PASSWORD", "TOKEN", "AUTH",
                     "TOKEN_COMMAND", "OUTPUT", "API", "TIMEOUT", "CA_BUNDLE", "INSECURE",
                     "CERT", "KEY", "DEBUG", "CONFIG"):  # fmt: skip
        assert f"AIRFLOW_BRIDGE_{variable}" in text, variable
    codes = [line.split()[0] for line in text.split("Exit codes:")[1].splitlines()[1:8]]
    assert codes == ["0", "1", "2", "3", "4", "5", "6"]


def test_trigger_on_a_paused_dag_warns_or_unpauses_first(
    fleet_file: Path, servers: dict[str, FakeAirflow]
) -> None:
    servers["af3"].pause("etl")
    base = ["--fleet", str(fleet_file), "-s", "af3,af2", "runs", "trigger", "etl"]
    warned = run(*base)
    assert warned.exit_code == 0, warned.output
    assert "warning: etl is paused on af3: its run will stay queued" in warned.stderr
    assert servers["af3"].store.dags["etl"].paused  # only a warning
    unpaused = run("--debug", *base, "--unpause")  # --debug: the check shares the transport
    assert unpaused.exit_code == 0, unpaused.output
    assert "unpaused etl on af3" in unpaused.stderr and "warning" not in unpaused.stderr
    assert not servers["af3"].store.dags["etl"].paused
    assert [r.method for r in sent(servers["af3"]) if r.method == "PATCH"] == ["PATCH"]
    assert len(sent(servers["af2"], "PATCH")) == 0  # af2's etl was not paused


@pytest.mark.parametrize("command", [["runs", "wait"], ["runs", "trigger"]])
def test_wait_exit_codes_are_in_the_help(command: list[str]) -> None:
    text = run(*command, "--help").output
    codes = [line.split()[0] for line in text.split("Exit codes:")[1].splitlines()[1:5]]
    assert codes == ["0", "1", "4", "3"]
    assert '"timed_out"' in text


def test_fleet_file_auth_schemes_are_built_only_for_selected_servers(tmp_path: Path) -> None:
    from airflow_bridge.auth import KeycloakAuth, MWAAAuth
    from airflow_bridge.fleet import load_fleet_file

    path = tmp_path / "fleet.toml"
    path.write_text(
        '[servers.kc]\nurl = "https://a.example"\nauth = "keycloak"\n'
        'auth_options = { server_url = "https://kc.example", realm = "ops", '
        'client_id = "bridge", client_secret = "s" }\n'
        '[servers.mwaa]\nurl = "https://b.example"\nauth = "mwaa"\n'
        'auth_options = { environment = "prod", region = "eu-west-1" }\n'
        '[servers.bad]\nurl = "https://c.example"\nauth = "kerberos"\n'
        "auth_options = { no_such_option = 1 }\n"
    )
    servers = load_fleet_file(path, select=["kc", "mwaa"]).servers
    assert isinstance(servers["kc"].auth, KeycloakAuth)
    assert isinstance(servers["mwaa"].auth, MWAAAuth)
    assert "auth=KeycloakAuth" in repr(servers["kc"]) and "'s'" not in repr(servers["kc"])
    assert servers["kc"].auth_name == "KeycloakAuth"
    result = run("--fleet", str(path), "-s", "bad", "probe")
    assert result.exit_code == 2 and "server 'bad': key 'auth': kerberos" in result.output


def test_a_token_flag_beats_credentials_from_the_environment(
    servers: dict[str, FakeAirflow], fleet_file: Path
) -> None:
    with servers["af3"].serve() as server:
        login = {"username": "admin", "password": SECRET}
        token = httpx.post(f"{server.url}/auth/token", json=login).json()["access_token"]
        env = {"AIRFLOW_BRIDGE_USERNAME": "admin", "AIRFLOW_BRIDGE_PASSWORD": "wrong"}
        result = run("--server", server.url, "--token", token, "-o", "json", "runs", "list",
                     env=env)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert not any(r.path.endswith("/auth/token") for r in servers["af3"].requests[1:])
    noted = run("--fleet", str(fleet_file), "-v", "-s", "af2", "runs", "list", env=env)
    assert noted.exit_code == 0, noted.output
    assert (
        "ignored (a fleet file sets credentials per server): AIRFLOW_BRIDGE_USERNAME, "
        "AIRFLOW_BRIDGE_PASSWORD" in noted.stderr
    )


def test_two_flags_naming_the_servers_say_to_drop_one(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.toml"
    fleet.write_text('[servers.a]\nurl = "http://127.0.0.1:9"\n')
    result = run("--server", "http://127.0.0.1:9", "--fleet", str(fleet), "runs", "list")
    assert result.exit_code == 2
    assert "drop one flag" in result.output and "environment variable" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2024-05-01", "--until", "2024-04-01"], "is after --until"),
        (["--all", "--limit", "2"], "contradict"),
        (["--limit", "0"], "--limit"),
        (["--columns", ""], "--columns needs at least one key"),
    ],
)
def test_contradicting_or_empty_list_options_are_usage_errors(
    tmp_path: Path, args: list[str], message: str
) -> None:
    fleet = tmp_path / "fleet.toml"
    fleet.write_text('[servers.a]\nurl = "http://127.0.0.1:9"\n')
    result = run("--fleet", str(fleet), "runs", "list", *args)
    assert result.exit_code == 2 and message in result.output, result.output


def test_a_context_name_that_could_not_be_typed_back_is_refused(tmp_path: Path) -> None:
    env = {"AIRFLOW_BRIDGE_CONFIG": str(tmp_path / "config.yaml")}
    result = run("config", "add", "bad name/x", "--server", "http://127.0.0.1:9", env=env)
    assert result.exit_code == 2 and "context name 'bad name/x'" in result.output
    assert not (tmp_path / "config.yaml").exists()
