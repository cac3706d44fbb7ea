"""The `airflow-bridge` entry point against loopback servers of both generations.

Commands run through click's runner on the real `cli` group (and once as a subprocess), with
a fleet file naming fake Airflow servers (`FakeAirflow`) served on 127.0.0.1: outputs and exit
codes as a user or a script sees them.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fleet_fakes import START, V1_RUNS, V2_RUNS, broken, fake, seed, sent

from airflow_bridge.cli import cli
from airflow_bridge.cli._records import RUN_FIELDS
from airflow_bridge.testing import FakeAirflow

SECRET = "pw-never-shown"


@pytest.fixture
def servers() -> dict[str, FakeAirflow]:
    return {
        "af3": fake("3.3.2", V2_RUNS, password=SECRET, assets=True),
        "af2": fake("2.10.5", V1_RUNS, password=SECRET),
        "broken": broken("3.3.2", password=SECRET),
    }


@pytest.fixture
def fleet_file(tmp_path: Path, servers: dict[str, FakeAirflow]) -> Iterator[Path]:
    with (
        servers["af3"].serve() as af3,
        servers["af2"].serve() as af2,
        servers["broken"].serve() as b,
    ):
        path = tmp_path / "fleet.toml"
        lines = []
        for name, url, tags in (
            ("af3", af3.url, '["new"]'),
            ("af2", af2.url, '["old"]'),
            ("broken", b.url, "[]"),
        ):
            lines += [
                f"[servers.{name}]",
                f'url = "{url}"',
                'username = "admin"',
                'password_env = "FLEET_TEST_PW"',
                f"tags = {tags}",
                "",
            ]
        path.write_text("\n".join(lines))
        yield path


def run(fleet_file: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(
        cli,
        ["--fleet", str(fleet_file), *args],
        env={"FLEET_TEST_PW": SECRET, "COLUMNS": "100"},
        input=input,
        prog_name="airflow-bridge",
    )


# -- runs list ----------------------------------------------------------------------------------


def test_json_lists_both_generations_merged_with_partial_failure_exit(fleet_file: Path) -> None:
    result = run(fleet_file, "-o", "json", "runs", "list", "--order-by", "-start_date")
    assert result.exit_code == 3
    runs = json.loads(result.stdout)
    assert [(r["server"], r["run_id"]) for r in runs] == [
        ("af2", "v1-newest"),
        ("af3", "v2-new"),
        ("af2", "v1-mid"),
        ("af3", "v2-old"),
        ("af3", "v2-queued"),
    ]
    assert {r["api"] for r in runs} == {"v1", "v2"}
    assert runs[0]["start_date"] == "2024-01-06T00:00:00+00:00"
    assert set(runs[0]) == set(RUN_FIELDS)
    assert "1 of 3 servers failed" in result.stderr and "broken" in result.stderr
    assert "ServerError" in result.stderr
    assert SECRET not in result.output


def test_selection_of_healthy_servers_exits_zero(fleet_file: Path) -> None:
    result = run(fleet_file, "-s", "af3,tag:old", "-o", "ndjson", "runs", "list", "--limit", "2")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["run_id"] for r in lines] == ["v1-newest", "v2-new"]
    assert result.stderr == ""


def test_every_server_failing_exits_one(fleet_file: Path) -> None:
    assert run(fleet_file, "-s", "broken", "runs", "list").exit_code == 1


def test_csv_has_a_stable_header_and_one_row_per_run(fleet_file: Path) -> None:
    result = run(fleet_file, "-s", "af2", "-o", "csv", "runs", "list",
                 "--state", "failed", "--state", "running")  # fmt: skip
    assert result.exit_code == 0
    rows = {row["run_id"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    assert tuple(next(iter(rows.values()))) == RUN_FIELDS
    assert set(rows) == {"v1-mid", "v1-newest"}
    assert rows["v1-newest"]["conf"] == "{}" and rows["v1-newest"]["end_date"] == ""
    assert rows["v1-mid"]["end_date"] == "2024-01-03T00:00:00+00:00"
    only_failed = run(fleet_file, "-s", "af2", "-o", "csv", "runs", "list", "--state", "failed")
    assert [row["run_id"] for row in csv.DictReader(io.StringIO(only_failed.stdout))] == ["v1-mid"]
    # state names in any case, as the library takes them
    upper = run(fleet_file, "-s", "af2", "-o", "csv", "runs", "list", "--state", "FAILED")
    assert upper.stdout == only_failed.stdout


def test_table_shows_runs_then_errors(fleet_file: Path, servers: dict[str, FakeAirflow]) -> None:
    result = run(fleet_file, "runs", "list", "--state", "failed", "--since", "2024-01-02",
                 "-o", "table")  # fmt: skip
    assert result.exit_code == 3
    table, _, errors = result.output.partition("servers failed")
    for word in ("server", "run id", "state", "af3", "af2", "v2-new", "v1-mid", "failed"):
        assert word in table
    assert "v1-newest" not in table and "v2-old" not in table  # filtered by the servers
    assert "broken" in errors
    assert max(len(line) for line in result.stdout.splitlines()) <= 100
    request = sent(servers["af2"], "GET")[-1]
    assert request.values("state") == ["failed"] and request.last("start_date_gte")
    assert request.last("order_by") == "-start_date"

    week = run(fleet_file, "-s", "af3", "-o", "table", "runs", "list", "--since", "1w")
    assert week.exit_code == 0 and "v2-new" not in week.stdout  # every run is from 2024


def test_filters_reach_the_servers(fleet_file: Path, servers: dict[str, FakeAirflow]) -> None:
    result = run(
        fleet_file, "-s", "af3", "-o", "json", "runs", "list", "-d", "etl", "--until", "2024-01-02",
        "--date-field", "logical_date", "--run-type", "manual", "--order-by", "logical_date",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    request = sent(servers["af3"], "GET")[-1]
    assert request.path == "/api/v2/dags/etl/dagRuns"
    assert (request.last("logical_date_lte") or "").startswith("2024-01-02T00:00:00")
    assert request.values("run_type") == ["manual"]
    runs = json.loads(result.stdout)  # seeded with logical dates 01:00, 02:00, 03:00
    assert [r["run_id"] for r in runs] == ["v2-new", "v2-queued", "v2-old"]


@pytest.mark.parametrize(
    "args",
    [
        ["runs", "list", "--since", "next tuesday"],
        ["runs", "list", "--order-by", "-id"],
        ["runs", "list", "--state", "sleeping"],
        ["-s", "nowhere", "runs", "list"],
        ["runs", "trigger", "etl", "--conf", "[1, 2]"],
        ["runs", "frobnicate"],
    ],
)
def test_usage_errors_exit_two(fleet_file: Path, args: list[str]) -> None:
    result = run(fleet_file, *args)
    assert result.exit_code == 2, result.output


def test_no_server_configured_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    result = CliRunner().invoke(cli, ["runs", "list"], env={"AIRFLOW_BRIDGE_SERVER": None})
    assert result.exit_code == 2
    assert "--server URL" in result.output


def test_bad_fleet_file_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "fleet.toml"
    path.write_text("[servers.a]\nurl = 'http://a'\npassword_env = 'UNSET_VAR_X'\nusername='u'")
    result = run(path, "probe")
    assert result.exit_code == 2
    assert "server 'a': key 'password_env'" in result.output


# -- single runs ---------------------------------------------------------------------------------


def test_trigger_with_conf_file_on_two_generations(
    fleet_file: Path, servers: dict[str, FakeAirflow], tmp_path: Path
) -> None:
    conf = tmp_path / "conf.json"
    conf.write_text('{"day": "2024-05-01"}')
    result = run(fleet_file, "-s", "af3,af2", "-o", "json", "runs", "trigger", "etl",
                 "--conf", f"@{conf}", "--note", "INC-42")  # fmt: skip
    assert result.exit_code == 0, result.output
    triggered = json.loads(result.stdout)
    assert [(r["server"], r["conf"], r["note"]) for r in triggered] == [
        ("af3", {"day": "2024-05-01"}, "INC-42"),
        ("af2", {"day": "2024-05-01"}, "INC-42"),
    ]
    for record in triggered:  # each run exists on its own server
        assert servers[record["server"]].state(record["run_id"], dag_id="etl") == "queued"
    body = json.loads(sent(servers["af3"], "POST")[-1].body)
    assert body["conf"] == {"day": "2024-05-01"} and body["note"] == "INC-42"


def test_get_same_run_from_both_generations(
    fleet_file: Path, servers: dict[str, FakeAirflow]
) -> None:
    seed(servers["af3"], "r1", logical_date=START)
    seed(servers["af2"], "r1", logical_date=START)
    result = run(fleet_file, "-s", "af3,af2", "-o", "json", "runs", "get", "etl", "r1")
    got = json.loads(result.stdout)
    assert [(r["server"], r["api"], r["logical_date"]) for r in got] == [
        ("af3", "v2", "2024-01-01T00:00:00+00:00"),
        ("af2", "v1", "2024-01-01T00:00:00+00:00"),
    ]


def test_set_state_and_note(fleet_file: Path, servers: dict[str, FakeAirflow]) -> None:
    seed(servers["af3"], "r1", state="running", start=2)
    assert run(fleet_file, "-s", "af3", "runs", "set-state", "etl", "r1", "failed").exit_code == 0
    assert servers["af3"].state("r1") == "failed"
    result = run(fleet_file, "-s", "af3", "-o", "json", "runs", "note", "etl", "r1", "why")
    assert json.loads(result.stdout)[0]["note"] == "why"
    assert json.loads(result.stdout)[0]["state"] == "failed"
    patch = sent(servers["af3"], "PATCH")[-1]
    assert patch.values("update_mask") == ["note"]
    assert run(fleet_file, "-s", "af3", "runs", "set-state", "etl", "r1", "running").exit_code == 2


def test_clear_is_a_dry_run_unless_yes(fleet_file: Path, servers: dict[str, FakeAirflow]) -> None:
    seed(servers["af3"], "r1", state="failed", start=2)
    dry = run(fleet_file, "-s", "af3", "runs", "clear", "etl", "r1")
    assert dry.exit_code == 0 and "would be cleared; add --yes" in dry.stderr
    assert dry.stdout.startswith("af3\tetl\tr1\t")  # tab-separated when piped
    assert json.loads(sent(servers["af3"], "POST")[-1].body)["dry_run"] is True
    assert servers["af3"].state("r1") == "failed"  # nothing changed
    real = run(fleet_file, "-s", "af3", "-o", "json", "runs", "clear", "etl", "r1", "--yes")
    assert real.exit_code == 0 and json.loads(real.stdout)[0]["run_id"] == "r1"
    assert json.loads(sent(servers["af3"], "POST")[-1].body)["dry_run"] is False
    assert servers["af3"].state("r1") == "queued"  # cleared: queued again


def test_delete_needs_yes_without_a_terminal_and_shows_a_status_per_server(
    fleet_file: Path, servers: dict[str, FakeAirflow]
) -> None:
    seed(servers["af2"], "r1")
    refused = run(fleet_file, "-s", "af3,af2", "runs", "delete", "etl", "r1", "--yes")
    assert refused.exit_code == 3  # af3 has no r1: a status per server, not a silent success
    rows = [line.split("\t") for line in refused.stdout.splitlines()]
    assert [(r[0], r[-1]) for r in rows] == [("af3", "not found"), ("af2", "deleted")]
    assert servers["af2"].store.run("etl", "r1") is None
    seed(servers["af2"], "r2")
    unasked = run(fleet_file, "runs", "delete", "etl", "r2")  # whole fleet, no terminal
    assert unasked.exit_code == 2 and "add --yes" in unasked.output
    assert sent(servers["af2"], "DELETE")[-1].path.endswith("/r1")  # r2 never sent
    gone = run(fleet_file, "-s", "af2", "-o", "json", "runs", "delete", "etl", "nope", "--yes")
    assert gone.exit_code == 1 and "nothing deleted" in gone.stderr
    assert json.loads(gone.stdout) == [
        {"server": "af2", "dag_id": "etl", "run_id": "nope", "deleted": False,
         "status": "not found"}
    ]  # fmt: skip


def test_old_server_refusal_is_reported_per_server(tmp_path: Path) -> None:
    old = fake("2.3.4", [("r1", "running", 2)], password="b")
    with old.serve() as server:
        path = tmp_path / "fleet.toml"
        path.write_text(
            f'[servers.old]\nurl = "{server.url}"\nusername = "admin"\npassword = "b"\n'
        )
        result = run(path, "runs", "note", "etl", "r1", "text")
    assert result.exit_code == 1
    assert "UnsupportedOperation" in result.stderr and "2.5.0" in result.stderr
    assert sent(old, "PATCH") == []


def test_events_and_wait(fleet_file: Path, servers: dict[str, FakeAirflow]) -> None:
    af3 = servers["af3"]
    af3.add_run("bridge_producer", "p1")
    af3.advance("p1", to="success")  # its asset event triggers a bridge_consumer run
    (consumer,) = [r.run_id for r in af3.store.all_runs() if r.dag_id == "bridge_consumer"]
    af3.advance(consumer, to="running")  # 3.3.2 answers 500 for events of an unstarted run
    result = run(fleet_file, "-s", "af3", "-o", "json", "runs", "events", "bridge_consumer",
                 consumer)  # fmt: skip
    assert result.exit_code == 0, result.output
    (event,) = json.loads(result.stdout)
    assert (event["uri"], event["source_run_id"]) == ("bridge://datasets/one", "p1")
    seed(af3, "r1")
    af3.auto = 1  # the scheduler moves the run one state per request
    waited = run(fleet_file, "-s", "af3", "-o", "json", "runs", "wait", "etl", "r1",
                 "--interval", "0.1")  # fmt: skip
    assert waited.exit_code == 0, waited.output
    assert json.loads(waited.stdout)[0]["state"] == "success"


def test_wait_times_out_per_server(fleet_file: Path, servers: dict[str, FakeAirflow]) -> None:
    seed(servers["af3"], "r1", state="running", start=2)
    result = run(fleet_file, "-s", "af3", "runs", "wait", "etl", "r1", "--timeout", "0.2",
                 "--interval", "0.1", "-o", "json")  # fmt: skip
    assert result.exit_code == 4, result.output
    assert "timed out after" in result.stderr and "still running on af3" in result.stderr
    (last,) = json.loads(result.stdout)  # what it last saw, not "nothing found"
    assert (last["server"], last["state"], last["timed_out"]) == ("af3", "running", True)


# -- probe, help, completion, subprocess ---------------------------------------------------------


def test_probe_lists_every_server_with_errors_inline(fleet_file: Path) -> None:
    result = run(fleet_file, "-o", "json", "probe")
    records = {r["server"]: r for r in json.loads(result.stdout)}
    assert (records["af3"]["version"], records["af3"]["api"]) == ("3.3.2", "v2")
    assert (records["af2"]["version"], records["af2"]["api"]) == ("2.10.5", "v1")
    assert records["af3"]["auth_ok"] is True and records["af3"]["healthy"] is True
    assert "ServerError" in records["broken"]["error"]
    assert result.exit_code == 3
    table = run(fleet_file, "-s", "af3", "probe")
    assert table.exit_code == 0 and "healthy" in table.stdout and "3.3.2" in table.stdout


def test_server_option_talks_to_one_server(servers: dict[str, FakeAirflow]) -> None:
    with servers["af2"].serve() as server:
        url = server.url
        result = CliRunner().invoke(
            cli,
            ["--server", url, "-o", "json", "runs", "list"],
            env={"AIRFLOW_BRIDGE_USERNAME": "admin", "AIRFLOW_BRIDGE_PASSWORD": SECRET},
        )
    assert result.exit_code == 0, result.output
    port = url.rsplit(":", 1)[1]
    assert {r["server"] for r in json.loads(result.stdout)} == {f"127.0.0.1:{port}"}
    assert SECRET not in result.output


@pytest.mark.parametrize(
    "command",
    [[], ["probe"], ["runs"], *[["runs", c] for c in ("list", "get", "trigger", "set-state",
                                                     "note", "clear", "delete", "events", "wait")]],
)  # fmt: skip
def test_every_help_shows_examples(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"], prog_name="airflow-bridge")
    assert result.exit_code == 0
    assert "Examples:" in result.output and "airflow-bridge " in result.output


def test_shell_completion_script_and_live_completion(fleet_file: Path) -> None:
    script = CliRunner().invoke(cli, ["completion", "bash"])
    assert script.exit_code == 0 and "_AIRFLOW_BRIDGE_COMPLETE" in script.output
    completed = subprocess.run(
        [sys.executable, "-m", "airflow_bridge.cli"],
        env={
            "_AIRFLOW_BRIDGE_COMPLETE": "bash_complete",
            "COMP_WORDS": f"airflow-bridge --fleet {fleet_file} --select ta",
            "COMP_CWORD": "4",
            "FLEET_TEST_PW": "x",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert "tag:new" in completed.stdout and "tag:old" in completed.stdout


def test_module_entry_point_runs_as_a_subprocess(fleet_file: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "airflow_bridge.cli", "--fleet", str(fleet_file), "-s", "af2",
         "-o", "csv", "runs", "list"],
        env={"FLEET_TEST_PW": SECRET, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("server,api,dag_id,run_id,state")
    assert done.stderr == ""  # no progress bar when piped


def test_a_table_shows_conf_as_json_like_tsv_and_csv(
    fleet_file: Path, servers: dict[str, FakeAirflow]
) -> None:
    servers["af2"].add_run("etl", "with-conf", conf={"day": "2024-01-01"})
    result = run(fleet_file, "-s", "af2", "-o", "table", "--columns", "run_id,conf", "runs", "list")
    assert result.exit_code == 0, result.output
    assert '{"day": "2024-01-01"}' in result.stdout and "{'day'" not in result.stdout
