"""The real tier's one rerun (tests/_server_database.py): only with evidence that the live
server's database failed, once, and listed in the summary."""

from __future__ import annotations

import pytest

CONFTEST = """
import pytest

pytest_plugins = ["_server_database"]


def pytest_configure(config):
    config.addinivalue_line("markers", "real: live servers")
"""

# Each test counts its attempts in a file, and fails or passes by its attempt number.
TESTS = """
from pathlib import Path

import pytest

pytestmark = pytest.mark.real
REPLY = "500 on POST http://127.0.0.1:18332/api/v2/dags/d/dagRuns: Database error: Serious"


def attempt(name):
    path = Path(name + ".attempts")
    n = int(path.read_text()) + 1 if path.exists() else 1
    path.write_text(str(n))
    return n


def test_reply_once():
    assert attempt("reply_once") > 1, REPLY


def test_reply_always():
    attempt("reply_always")
    raise AssertionError(REPLY)


def test_other_failure():
    attempt("other")
    assert False, "the normalized results differ"


def test_lock_in_the_log():
    if attempt("log") == 1:
        log = Path(".airflow/3.3.2/scheduler.log")
        with log.open("a") as out:
            out.write("sqlite3.OperationalError: database is locked\\n")
        assert False, "the producer run ended failed"


def test_lock_logged_before_the_test():
    attempt("before")
    assert False, "a failure of ours"
"""


@pytest.fixture
def outcome(pytester: pytest.Pytester) -> pytest.RunResult:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_real=TESTS)
    log = pytester.path / ".airflow" / "3.3.2" / "scheduler.log"
    log.parent.mkdir(parents=True)
    log.write_text("sqlite3.OperationalError: database is locked\n")  # before any test
    return pytester.runpytest("-p", "no:cacheprovider")


def attempts(pytester: pytest.Pytester, name: str) -> int:
    return int((pytester.path / f"{name}.attempts").read_text())


def test_a_database_failure_answer_is_rerun_once(
    outcome: pytest.RunResult, pytester: pytest.Pytester
) -> None:
    assert outcome.parseoutcomes() == {"passed": 2, "failed": 3, "rerun": 3}
    assert attempts(pytester, "reply_once") == 2
    assert attempts(pytester, "reply_always") == 2  # once more, not more


def test_a_lock_failure_logged_during_the_test_is_rerun(
    outcome: pytest.RunResult, pytester: pytest.Pytester
) -> None:
    assert attempts(pytester, "log") == 2
    outcome.stdout.fnmatch_lines(
        ["*rerun: the live server's database failed*", "*test_lock_in_the_log*scheduler.log*"]
    )


def test_other_failures_are_not_rerun(outcome: pytest.RunResult, pytester: pytest.Pytester) -> None:
    assert attempts(pytester, "other") == 1
    assert attempts(pytester, "before") == 1  # the log's lock failure predates the test
    assert "test_other_failure:" not in outcome.stdout.str()
