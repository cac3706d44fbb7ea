"""pytest plugin: the `fake_airflow` fixture, run against both Airflow generations.

A test that asks for `fake_airflow` runs once per version in `DEFAULT_VERSIONS` (one
Airflow 2, one Airflow 3). Choose versions with `@pytest.mark.airflow_versions("2.9.3")` or
indirect parametrization (`@pytest.mark.parametrize("fake_airflow", ["3.0.6"],
indirect=True)`), and `FakeAirflow` options with `@pytest.mark.fake_airflow(auto=1, ...)`.

Installing airflow-bridge registers it (a pytest11 entry point): no `-p` or conftest needed.
"""

from __future__ import annotations

import pytest

from airflow_bridge.testing._fake import FakeAirflow

DEFAULT_VERSIONS = ("2.10.5", "3.3.2")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "airflow_versions(*versions): Airflow versions fake_airflow runs against"
    )
    config.addinivalue_line("markers", "fake_airflow(**options): FakeAirflow keyword arguments")


def _parametrized_by_user(metafunc: pytest.Metafunc) -> bool:
    for marker in metafunc.definition.iter_markers("parametrize"):
        names = marker.args[0] if marker.args else marker.kwargs.get("argnames", "")
        if isinstance(names, str):
            names = [name.strip() for name in names.split(",")]
        if "fake_airflow" in names:
            return True
    return False


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "fake_airflow" not in metafunc.fixturenames or _parametrized_by_user(metafunc):
        return
    marker = metafunc.definition.get_closest_marker("airflow_versions")
    versions = marker.args if marker and marker.args else DEFAULT_VERSIONS
    metafunc.parametrize(
        "fake_airflow", versions, indirect=True, ids=[f"airflow-{v}" for v in versions]
    )


@pytest.fixture
def fake_airflow(request: pytest.FixtureRequest) -> FakeAirflow:
    """A fresh FakeAirflow of the parametrized version (default: the newest Airflow 3)."""
    version = getattr(request, "param", DEFAULT_VERSIONS[-1])
    marker = request.node.get_closest_marker("fake_airflow")
    options = marker.kwargs if marker else {}
    return FakeAirflow(version, **options)
