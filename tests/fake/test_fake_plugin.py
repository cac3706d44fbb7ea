"""The pytest plugin as a user loads it: default versions, the markers, indirect params."""

from __future__ import annotations

import pytest

USER_TESTS = """
import pytest

def test_default(fake_airflow):
    assert fake_airflow.version in ("2.10.5", "3.3.2")

@pytest.mark.airflow_versions("2.9.3")
def test_marker(fake_airflow):
    assert fake_airflow.version == "2.9.3"

@pytest.mark.airflow_versions("3.0.6")
@pytest.mark.fake_airflow(auto=2, dags=["etl"])
def test_options(fake_airflow):
    assert (fake_airflow.auto, list(fake_airflow.store.dags)) == (2, ["etl"])

@pytest.mark.parametrize("fake_airflow", ["2.4.3"], indirect=True)
def test_indirect(fake_airflow):
    assert fake_airflow.api == "v1"
"""


def test_plugin_parametrizes_the_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    # No -p: the plugin is registered by the package's pytest11 entry point, as users get it.
    result = pytester.runpytest_inprocess(
        "-v",
        "-W",
        "error::pytest.PytestUnknownMarkWarning",
    )
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(
        [
            "*test_default?airflow-2.10.5? PASSED*",
            "*test_default?airflow-3.3.2? PASSED*",
            "*test_marker?airflow-2.9.3? PASSED*",
            "*test_indirect?2.4.3? PASSED*",
        ]
    )
