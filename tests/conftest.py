"""Test tiers: fast tests by default; `--real` runs the tests marked `real` against live servers."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
DEFAULT_VERSIONS = "2.10.5 3.3.2"
pytest_plugins = [
    "pytester",  # tests that run pytest itself: the plugin, the README example
    "_server_database",  # a real-tier test the live server's database failed runs again
]
# The live scenario's asserts live in helper modules, which several real-tier files import:
# registered here, before any test module, so pytest explains them as in a test module.
pytest.register_assert_rewrite("_scenario_common", "_scenario_async", "_scenario_sync")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--real", action="store_true", help="run the real-server tier")
    parser.addoption(
        "--differential-examples",
        type=int,
        default=None,
        help="generated sequences the differential tier runs (default 20, about 2-3 minutes)",
    )
    parser.addoption(
        "--differential-seed",
        default=None,
        help='seed of the differential tier\'s generator: a number (default 0) or "random"',
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--real"):
        return
    skip = pytest.mark.skip(reason="real-server tier: run with --real (scripts/test does)")
    for item in items:
        if "real" in item.keywords:
            item.add_marker(skip)


def live_versions() -> list[str]:
    """The Airflow versions the real tier runs against (AIRFLOW_BRIDGE_TEST_VERSIONS)."""
    return os.environ.get("AIRFLOW_BRIDGE_TEST_VERSIONS", DEFAULT_VERSIONS).split()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "live_server" in metafunc.fixturenames:
        metafunc.parametrize("live_server", live_versions(), indirect=True, scope="session")


@pytest.fixture(scope="session")
def live_servers() -> Iterator[dict[str, dict[str, object]]]:
    """Starts (or reuses) the servers of scripts/airflow-servers; leaves them running."""
    versions = live_versions()
    subprocess.run([str(ROOT / "scripts" / "airflow-servers"), "up", *versions], check=True)
    yield {v: json.loads((ROOT / ".airflow" / v / "server.json").read_text()) for v in versions}


@pytest.fixture(scope="session")
def live_server(
    request: pytest.FixtureRequest, live_servers: dict[str, dict[str, object]]
) -> dict[str, object]:
    """One live server's details (version, api, base_url, username, password, ...)."""
    return live_servers[request.param]
