"""A real-tier test that failed while the live server's own database failed runs once more.

The test servers keep Airflow's metadata in SQLite (what `airflow standalone` uses), one file
shared by the API server, the scheduler and the task processes. On a loaded 2-core machine a
writer can hold the file's lock past the 60 s busy timeout (`scripts/airflow-servers`); every
other writer then fails: Airflow 3.3.2 answers a trigger `500 Database error`, a task's
heartbeat fails and the task ends `failed` (one CI run, 2026-11-29). That is the server's
failure, not the client's, so such a test is run once more (pytest-rerunfailures) and must
then pass. Evidence is required, one of:

* the failure's text holds a server's database-failure answer (`DB_FAILURE_REPLY`);
* a live server's log gained a SQLite lock failure (`DB_FAILURE_LOG`) while the test ran.

Any other failure fails at once. Each rerun and its evidence is listed in the summary.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

#: Airflow 3's answer to a database exception it has no specific handler for (3.3.2).
DB_FAILURE_REPLY = re.compile(r"500 on \w+ \S+: Database error")
#: What SQLite says when its lock wait ran out, as the servers' logs record it.
DB_FAILURE_LOG = re.compile(r"OperationalError\)?:? database is locked")
OFFSETS = pytest.StashKey[dict[Path, int]]()


def server_logs(config: pytest.Config) -> list[Path]:
    """The logs of every server `scripts/airflow-servers` has run from this checkout."""
    return sorted((config.rootpath / ".airflow").glob("*/*.log"))


def log_sizes(config: pytest.Config) -> dict[Path, int]:
    return {path: path.stat().st_size for path in server_logs(config)}


def new_db_failures(config: pytest.Config, since: dict[Path, int]) -> list[str]:
    """The SQLite lock failures the server logs gained after `since` (path: line)."""
    found = []
    for path in server_logs(config):
        with path.open("rb") as log:
            log.seek(since.get(path, 0))
            text = log.read().decode("utf-8", "replace")
        found += [
            f"{path.parent.name}/{path.name}: {line.strip()}"
            for line in text.splitlines()
            if DB_FAILURE_LOG.search(line)
        ]
    return found


class ServerDatabase:
    """Marks each real-tier test for one conditional rerun and reports the reruns."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.reruns: dict[str, str] = {}  # nodeid: the evidence of its (one) rerun

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            if "real" in item.keywords:
                condition = self.condition(item)
                item.add_marker(pytest.mark.flaky(reruns=1, condition=condition))

    def condition(self, item: pytest.Item) -> object:
        def failed_in_the_server(error: BaseException | None) -> bool:
            evidence = self.evidence(item, error)
            if evidence:
                self.reruns.setdefault(item.nodeid, evidence)
            return bool(evidence)

        return failed_in_the_server

    def evidence(self, item: pytest.Item, error: BaseException | None) -> str:
        reply = DB_FAILURE_REPLY.search(f"{error}")
        if reply:
            return f"the server answered {reply.group(0)!r}"
        lines = new_db_failures(self.config, item.stash.get(OFFSETS, {}))
        return (
            f"{len(lines)} lock failure(s) in the server logs, first: {lines[0]}" if lines else ""
        )

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if "real" in item.keywords:
            item.stash[OFFSETS] = log_sizes(self.config)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.reruns:
            terminalreporter.section("rerun: the live server's database failed")
            for nodeid, evidence in self.reruns.items():
                terminalreporter.line(f"{nodeid}: {evidence}")


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(ServerDatabase(config), "server-database")
