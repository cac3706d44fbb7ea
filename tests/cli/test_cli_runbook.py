"""The runbook from the command line (issue 16): `dags list/pause/unpause`, `runs tasks`,
`runs logs` (with --follow), `runs clear-tasks`, and `runs wait` naming the failed tasks.

Every test runs the real `cli` group (click's runner: stdin is not a terminal) against a
fleet of FakeAirflow servers of both generations (3.3.2 and 2.10.5) on 127.0.0.1, seeded
with the project's test DAGs (`bridge_failing`: setup >> explode >> after, paused at
creation, explode always fails); one test goes through the installed console script, one
on a pseudo-terminal, and one follows a scripted Airflow 3 log endpoint (the fake serves a
finished try's whole log at once, so it cannot show polling).
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner, Result
from fleet_fakes import PASSWORD, fake, sent
from mockserver import v2_server
from test_cli_tty import converse

import airflow_bridge.cli._tasks as tasks_module
from airflow_bridge.cli import cli
from airflow_bridge.cli._records import DAG_FIELDS, LOG_FIELDS, TASK_FIELDS
from airflow_bridge.fleet import Server
from airflow_bridge.testing import FakeAirflow

FAILURE = "bridge_failing: planned failure for the runbook tests"
ENV = {"COLUMNS": "100"}


@pytest.fixture
def servers() -> dict[str, FakeAirflow]:
    return {"af3": fake("3.3.2", assets=True), "af2": fake("2.10.5", assets=True)}


@pytest.fixture
def fleet_file(tmp_path: Path, servers: dict[str, FakeAirflow]) -> Iterator[Path]:
    with servers["af3"].serve() as af3, servers["af2"].serve() as af2:
        path = tmp_path / "fleet.toml"
        path.write_text(
            "".join(
                f'[servers.{name}]\nurl = "{url}"\nusername = "admin"\npassword = "{PASSWORD}"\n'
                for name, url in (("af3", af3.url), ("af2", af2.url))
            )
        )
        yield path


@pytest.fixture
def failed_run(servers: dict[str, FakeAirflow]) -> str:
    """A finished run of bridge_failing on both servers: setup success, explode failed,
    after upstream_failed."""
    for airflow in servers.values():
        airflow.pause("bridge_failing", False)
        airflow.add_run("bridge_failing", "rb-1", state="queued")
        airflow.advance("rb-1", to="failed", dag_id="bridge_failing")
    return "rb-1"


def run(fleet: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(
        cli, ["--fleet", str(fleet), *args], env={**ENV, **(env or {})}, prog_name="airflow-bridge"
    )


def parse(output: str, fmt: str) -> list[dict[str, Any]]:
    """The records of a json, ndjson, yaml or csv output."""
    if fmt == "json":
        return list(json.loads(output))
    if fmt == "ndjson":
        return [json.loads(line) for line in output.splitlines()]
    if fmt == "yaml":
        return list(yaml.safe_load(output))
    return list(csv.DictReader(io.StringIO(output)))


# -- the whole runbook ---------------------------------------------------------------------------


def test_the_runbook_across_both_generations(
    fleet_file: Path, servers: dict[str, FakeAirflow]
) -> None:
    """paused? -> unpause -> trigger --wait (exit 1, the failed task named) -> runs tasks
    --failed -> runs logs (the failure message) -> clear-tasks (a dry run, then --yes: the
    run is queued again) -> pause, on both servers with the same commands."""
    for airflow in servers.values():
        airflow.auto = 1  # the scheduler moves runs as requests come in
    paused = run(fleet_file, "-o", "json", "dags", "list", "--paused")
    assert {(d["server"], d["dag_id"]) for d in json.loads(paused.stdout)} == {
        ("af3", "bridge_failing"),
        ("af2", "bridge_failing"),
    }
    unpaused = run(fleet_file, "-o", "json", "dags", "unpause", "bridge_failing", "--yes")
    assert unpaused.exit_code == 0, unpaused.output
    assert [d["is_paused"] for d in json.loads(unpaused.stdout)] == [False, False]

    waited = run(fleet_file, "-o", "json", "runs", "trigger", "bridge_failing",
                 "--run-id", "cli-rb", "--wait", "--interval", "0.1", "--yes")  # fmt: skip
    assert waited.exit_code == 1, waited.output
    assert {(r["server"], r["state"], tuple(r["failed_tasks"]))
            for r in json.loads(waited.stdout)} == {("af3", "failed", ("explode",)),
                                                    ("af2", "failed", ("explode",))}  # fmt: skip
    assert "af3: failed tasks: explode" in waited.stderr

    failed = run(fleet_file, "-o", "json", "runs", "tasks", "bridge_failing", "cli-rb", "--failed")
    assert failed.exit_code == 0, failed.output
    assert {(t["server"], t["task_id"], t["state"], t["try_number"])
            for t in json.loads(failed.stdout)} == {("af3", "explode", "failed", 1),
                                                    ("af2", "explode", "failed", 1)}  # fmt: skip

    logs = run(fleet_file, "-o", "json", "runs", "logs", "bridge_failing", "cli-rb", "explode")
    assert logs.exit_code == 0, logs.output
    for name in servers:
        assert any(FAILURE in r["message"] for r in json.loads(logs.stdout) if r["server"] == name)

    dry = run(fleet_file, "-o", "json", "runs", "clear-tasks", "bridge_failing", "cli-rb",
              "--only-failed")  # fmt: skip
    assert dry.exit_code == 0, dry.output
    assert {(t["server"], t["task_id"]) for t in json.loads(dry.stdout)} == {
        (n, t) for n in servers for t in ("explode", "after")
    }
    assert "add --yes to clear them" in dry.stderr
    assert {a.state("cli-rb") for a in servers.values()} == {"failed"}  # nothing changed

    cleared = run(fleet_file, "-o", "json", "runs", "clear-tasks", "bridge_failing", "cli-rb",
                  "--only-failed", "--yes")  # fmt: skip
    assert cleared.exit_code == 0, cleared.output
    assert "cleared 4 task instances on af3, af2" in cleared.stderr
    assert {a.state("cli-rb") for a in servers.values()} == {"queued"}

    repaused = run(fleet_file, "-o", "json", "dags", "pause", "bridge_failing", "--yes")
    assert [d["is_paused"] for d in json.loads(repaused.stdout)] == [True, True]
    assert all(a.store.dags["bridge_failing"].paused for a in servers.values())


# -- dags ----------------------------------------------------------------------------------------


def test_dags_list_filters_reach_every_server(
    fleet_file: Path, servers: dict[str, FakeAirflow]
) -> None:
    every = json.loads(run(fleet_file, "-o", "json", "dags", "list").stdout)
    assert [(d["server"], d["dag_id"]) for d in every] == [
        (name, dag_id)
        for name in servers
        for dag_id in ("bridge_consumer", "bridge_failing", "bridge_plain", "bridge_producer",
                       "etl")
    ]  # fmt: skip
    assert list(every[0]) == list(DAG_FIELDS)
    unpaused = json.loads(run(fleet_file, "-o", "json", "dags", "list", "--unpaused").stdout)
    assert "bridge_failing" not in {d["dag_id"] for d in unpaused} and len(unpaused) == 8
    tagged = run(fleet_file, "-o", "json", "dags", "list", "--tag", "bridge", "--pattern",
                 "bridge_p%", "--limit", "1")  # fmt: skip
    assert [(d["server"], d["dag_id"]) for d in json.loads(tagged.stdout)] == [
        ("af3", "bridge_plain"),
        ("af2", "bridge_plain"),
    ]
    for airflow in servers.values():
        lists = [r for r in sent(airflow, "GET") if r.path.endswith("/dags")]
        assert any(
            r.values("tags") == ["bridge"] and r.last("dag_id_pattern") == "bridge_p%"
            for r in lists
        ), [r.query for r in lists]


def test_pause_needs_yes_or_select_off_a_terminal_and_sends_nothing_without(
    fleet_file: Path, servers: dict[str, FakeAirflow]
) -> None:
    refused = run(fleet_file, "dags", "pause", "etl")
    assert refused.exit_code == 2
    assert "add --yes, or choose the servers with -s" in refused.stderr
    assert not any(sent(a, "PATCH") for a in servers.values())
    chosen = run(fleet_file, "-s", "af2", "-o", "json", "dags", "pause", "etl")
    assert chosen.exit_code == 0, chosen.output
    assert [(d["server"], d["is_paused"]) for d in json.loads(chosen.stdout)] == [("af2", True)]
    assert servers["af2"].store.dags["etl"].paused and not servers["af3"].store.dags["etl"].paused
    missing = run(fleet_file, "-o", "json", "dags", "unpause", "no_such_dag", "--yes")
    assert missing.exit_code == 1 and "nothing unpaused" not in missing.stdout
    assert missing.stderr.count("NotFound") == 2


# -- task instances and logs ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "ndjson", "yaml", "csv"])
def test_every_structured_format_of_the_new_commands(
    fleet_file: Path, failed_run: str, fmt: str
) -> None:
    commands = {
        "dags": (["dags", "list", "--tag", "bridge"], DAG_FIELDS, 8),
        "tasks": (["runs", "tasks", "bridge_failing", failed_run], TASK_FIELDS, 6),
        "logs": (["runs", "logs", "bridge_failing", failed_run, "explode"], LOG_FIELDS, None),
    }
    for name, (args, fields, count) in commands.items():
        result = run(fleet_file, "-o", fmt, *args)
        assert result.exit_code == 0, (name, result.output)
        records = parse(result.stdout, fmt)
        assert count is None or len(records) == count, name
        assert list(records[0]) == list(fields), name
    logs = parse(run(fleet_file, "-o", fmt, *commands["logs"][0]).stdout, fmt)
    assert {r["server"] for r in logs if FAILURE in r["message"]} == {"af3", "af2"}


def test_piped_output_is_tab_separated_and_log_lines_read_like_a_log(
    fleet_file: Path, failed_run: str
) -> None:
    tasks = run(fleet_file, "runs", "tasks", "bridge_failing", failed_run, "--state", "failed")
    assert [line.split("\t")[:6] for line in tasks.stdout.splitlines()] == [
        ["af3", "bridge_failing", failed_run, "explode", "-1", "failed"],
        ["af2", "bridge_failing", failed_run, "explode", "-1", "failed"],
    ]
    both = run(fleet_file, "-o", "table", "runs", "logs", "bridge_failing", failed_run, "explode")
    one = run(fleet_file, "-s", "af3", "-o", "table", "runs", "logs", "bridge_failing",
              failed_run, "explode")  # fmt: skip
    failure = next(line for line in one.stdout.splitlines() if "Task failed" in line)
    stamp, level, source, message = failure.split(" ", 3)  # timestamp level source message
    assert stamp.startswith("2024-01-01T") and level == "error" and ":" in source
    assert message == "Task failed with exception"
    assert FAILURE in one.stdout
    assert {line.split(" ")[0] for line in both.stdout.splitlines()} >= {"af3", "af2"}
    tsv = run(fleet_file, "runs", "logs", "bridge_failing", failed_run, "explode")
    assert all(len(line.split("\t")) == 5 for line in tsv.stdout.splitlines())


def test_tables_never_cut_the_identifying_columns(fleet_file: Path, failed_run: str) -> None:
    result = run(fleet_file, "-o", "table", "runs", "tasks", "bridge_failing", failed_run,
                 env={"COLUMNS": "60"})  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines()]
    for name in ("af3", "af2"):
        for task in ("setup", "explode", "after"):  # whole, on one line
            assert [name, "bridge_failing", failed_run, task] in [r[:4] for r in rows], task
    assert "not shown (too narrow)" in result.stdout


def test_logs_of_a_try_that_did_not_happen_and_usage_errors(
    fleet_file: Path, failed_run: str
) -> None:
    """Try 2 never ran: Airflow 3.3.2 answers 404 (that server's error, exit 3); 2.10.5
    answers 200 with a "could not read" text, shown as its log."""
    result = run(fleet_file, "-o", "json", "runs", "logs", "bridge_failing", failed_run,
                 "explode", "--try", "2")  # fmt: skip
    assert result.exit_code == 3, result.output
    assert "af3  NotFound" in result.stderr
    assert {r["server"] for r in json.loads(result.stdout)} == {"af2"}
    for wrong in (["--try", "0"], ["--map-index", "-2"]):
        bad = run(fleet_file, "runs", "logs", "bridge_failing", failed_run, "explode", *wrong)
        assert bad.exit_code == 2, bad.output
    both = run(fleet_file, "runs", "tasks", "bridge_failing", failed_run, "--failed",
               "--state", "success")  # fmt: skip
    assert both.exit_code == 2 and "give one or the other" in both.stderr


def test_runs_tasks_of_a_run_no_server_has(fleet_file: Path, failed_run: str) -> None:
    """3.3.2 answers 404 for a run it does not have; 2.10.5 lists it as empty
    (fixtures/2.10.5/ti_list_unknown_run.json), and the facade's GET of the run makes that
    NotFound too: exit 1 (every server failed), both named."""
    result = run(fleet_file, "-o", "json", "runs", "tasks", "bridge_failing", "no-such-run")
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout) == []
    assert "af3  NotFound" in result.stderr and "af2  NotFound" in result.stderr


def test_follow_stops_where_the_server_says_the_log_ended(
    fleet_file: Path, servers: dict[str, FakeAirflow]
) -> None:
    """--follow on a run the scheduler finishes meanwhile: each server's log is read until
    its server says it ended (2.10.5: end_of_log in the token; 3.3.2: no token), every
    record once, and the command ends by itself. (The fake serves a finished try's whole
    log at once, as the live servers did; the polling itself is the facade's, tested in
    test_task_instances.py.)"""
    for airflow in servers.values():
        airflow.pause("bridge_failing", False)
        airflow.add_run("bridge_failing", "follow-1", state="running")
        airflow.auto = 1
    result = run(fleet_file, "-o", "ndjson", "runs", "logs", "bridge_failing", "follow-1",
                 "explode", "--try", "1", "--follow", "--interval", "0.1")  # fmt: skip
    assert result.exit_code == 0, result.output
    records = parse(result.stdout, "ndjson")
    for name in servers:
        mine = [json.dumps(r, sort_keys=True) for r in records if r["server"] == name]
        assert any(FAILURE in r for r in mine), name
        assert len(mine) == len(set(mine)), name  # nothing printed twice
    as_json = run(fleet_file, "-o", "json", "runs", "logs", "bridge_failing", "follow-1",
                  "explode", "--follow")  # fmt: skip
    assert len(json.loads(as_json.stdout)) == len(records)  # one array, printed at the end


def test_clear_tasks_of_chosen_tasks_with_downstream(
    fleet_file: Path, servers: dict[str, FakeAirflow], failed_run: str
) -> None:
    result = run(fleet_file, "-o", "json", "runs", "clear-tasks", "bridge_failing", failed_run,
                 "--task", "setup", "--downstream")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert {(t["server"], t["task_id"]) for t in json.loads(result.stdout)} == {
        (n, t) for n in servers for t in ("setup", "explode", "after")
    }
    for airflow in servers.values():
        (clear,) = sent(airflow, "POST")
        body = json.loads(clear.body)
        assert body["dry_run"] is True and body["include_downstream"] is True


def test_wait_names_the_failed_tasks_of_a_failed_run(fleet_file: Path, failed_run: str) -> None:
    result = run(fleet_file, "-o", "json", "runs", "wait", "bridge_failing", failed_run)
    assert result.exit_code == 1, result.output
    assert [r["failed_tasks"] for r in json.loads(result.stdout)] == [["explode"], ["explode"]]


def test_the_console_script(fleet_file: Path, failed_run: str) -> None:
    """The installed `airflow-bridge` entry point itself, in a process of its own."""
    script = Path(sys.executable).with_name("airflow-bridge")
    env = {**os.environ, **ENV}
    done = subprocess.run(
        [str(script), "--fleet", str(fleet_file), "-o", "ndjson", "runs", "logs",
         "bridge_failing", failed_run, "explode"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert FAILURE in done.stdout


def test_follow_polls_until_the_log_ends_and_prints_each_record_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """--follow against a scripted Airflow 3 log endpoint answering as the facade's
    `LogFollower` expects of a running task (not a recording): a record and a token, then
    nothing new with the same token (wait --interval, ask again), then the last record and
    no token (the log ended). The CLI asks three times, pausing between, and prints each
    record once as a `timestamp level source message` line."""
    path = "/api/v2/dags/etl/dagRuns/r1/taskInstances/load/logs/1"
    answers = [
        {"content": [{"timestamp": "2024-05-01T00:00:01Z", "event": "starting",
                      "level": "info", "filename": "task.py", "lineno": 7}],
         "continuation_token": "t1"},
        {"content": [], "continuation_token": "t1"},
        {"content": [{"timestamp": "2024-05-01T00:00:09Z", "event": "done", "level": "info",
                      "filename": "task.py", "lineno": 9}],
         "continuation_token": None},
    ]  # fmt: skip
    asked: list[tuple[float, str | None]] = []

    def logs(request: Any) -> Any:
        asked.append((time.monotonic(), request.url.params.get("token")))
        return httpx.Response(200, json=answers[len(asked) - 1])

    mock = v2_server({("GET", path): logs})
    server = Server("http://mock:8080", username="admin", password="pw",
                    transport=mock.async_transport())  # fmt: skip
    monkeypatch.setattr(tasks_module, "servers_of", lambda _settings: {"mock": server})
    result = CliRunner().invoke(
        cli,
        ["--server", "http://mock:8080", "-u", "admin", "-p", "pw", "-o", "table", "runs",
         "logs", "etl", "r1", "load", "--try", "1", "--follow", "--interval", "0.2"],
        env=ENV,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "2024-05-01T00:00:01+00:00 info task.py:7 starting",
        "2024-05-01T00:00:09+00:00 info task.py:9 done",
    ]
    assert [token for _, token in asked] == [None, "t1", "t1"]
    assert asked[2][0] - asked[1][0] >= 0.2  # it waited --interval before asking again


# -- on a terminal ------------------------------------------------------------------------------


def test_on_a_terminal_pause_asks_first_and_clear_tasks_asks_after_its_dry_run(
    fleet_file: Path, servers: dict[str, FakeAirflow], failed_run: str
) -> None:
    """On a pty: `dags pause` aimed at two servers lists them and sends nothing when
    declined; `runs clear-tasks` shows the dry run, then asks, then clears on both."""
    declined, said_no = converse(["--fleet", str(fleet_file), "dags", "pause", "etl"],
                                 [("Continue?", "n")])  # fmt: skip
    assert declined == 1, said_no
    assert "pause etl on 2 server(s):" in said_no
    assert not any(sent(a, "PATCH") for a in servers.values())
    code, screen = converse(
        ["--fleet", str(fleet_file), "runs", "clear-tasks", "bridge_failing", failed_run,
         "--only-failed"],
        [("Clear them on", "y")],
    )  # fmt: skip
    assert code == 0, screen
    assert "4 task instances would be cleared" in screen and "Clear them on af3, af2?" in screen
    assert "cleared 4 task instances on af3, af2" in screen
    assert {a.state(failed_run) for a in servers.values()} == {"queued"}


def test_log_records_say_the_try_they_were_read_from(fleet_file: Path, failed_run: str) -> None:
    """Without --try the latest try is read, and each record names it (not null)."""
    latest = run(fleet_file, "-o", "json", "runs", "logs", "bridge_failing", failed_run, "explode")
    asked = run(fleet_file, "-o", "json", "runs", "logs", "bridge_failing", failed_run, "explode",
                "--try", "1")  # fmt: skip
    assert latest.exit_code == asked.exit_code == 0, latest.output
    records = json.loads(latest.stdout)
    assert records and {r["try_number"] for r in records} == {1}
    assert records == json.loads(asked.stdout)


def test_runs_tasks_of_a_run_one_server_lacks(
    fleet_file: Path, servers: dict[str, FakeAirflow]
) -> None:
    """A run only af2 has: its task instances from af2, af3's NotFound after them, exit 3."""
    servers["af2"].add_run("bridge_failing", "only-af2", state="queued")
    servers["af2"].advance("only-af2", to="failed", dag_id="bridge_failing")
    result = run(fleet_file, "-o", "json", "runs", "tasks", "bridge_failing", "only-af2")
    assert result.exit_code == 3, result.output
    assert {r["server"] for r in json.loads(result.stdout)} == {"af2"}
    assert "af3  NotFound" in result.stderr


def test_logs_without_a_try_read_the_latest_and_say_which(
    fleet_file: Path, servers: dict[str, FakeAirflow], failed_run: str
) -> None:
    """After a clear the task runs again as try 2: the latest try is read, and named."""
    cleared = run(fleet_file, "runs", "clear-tasks", "bridge_failing", failed_run,
                  "--only-failed", "--yes")  # fmt: skip
    assert cleared.exit_code == 0, cleared.output
    for airflow in servers.values():
        airflow.advance(failed_run, to="failed", dag_id="bridge_failing")
    result = run(fleet_file, "-o", "json", "runs", "logs", "bridge_failing", failed_run, "explode")
    assert result.exit_code == 0, result.output
    assert {r["try_number"] for r in json.loads(result.stdout)} == {2}
