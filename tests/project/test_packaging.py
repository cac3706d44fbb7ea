"""The wheel installs `airflow_bridge.adapters`, never a top-level `adapters` (a PyPI name)."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
    )
    (built,) = out.glob("airflow_bridge-*.whl")
    return built


def test_wheel_maps_adapters_folder_into_the_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "airflow_bridge/adapters/v1.py" in names
    assert "airflow_bridge/adapters/v2.py" in names
    assert "airflow_bridge/py.typed" in names
    assert not [name for name in names if name.startswith("adapters/")]


def test_fresh_venv_imports_airflow_bridge_adapters_but_not_adapters(
    wheel: Path, tmp_path: Path
) -> None:
    env_dir = tmp_path / "venv"
    # The project's dependencies are reused from this interpreter's site-packages, so the
    # test needs no network; the package itself comes only from the wheel.
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    python = env_dir / "bin" / "python"
    deps = subprocess.run(
        [
            sys.executable,
            "-c",
            "import httpx, attrs, cattrs, dateutil, anyio, sys;"
            "print(sys.modules['httpx'].__file__.rsplit('/httpx/', 1)[0])",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    site = subprocess.run(
        [str(python), "-c", "import site; print(site.getsitepackages()[0])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
    )
    (Path(site) / "deps.pth").write_text(deps + "\n")
    probe = (
        "import importlib.util, airflow_bridge.adapters as a;"
        "print(a.__file__);"
        "print(importlib.util.find_spec('adapters'))"
    )
    shown = subprocess.run(
        [str(python), "-c", probe], check=True, capture_output=True, text=True, cwd=tmp_path
    ).stdout.split()
    assert shown[0].startswith(site) and shown[0].endswith("airflow_bridge/adapters/__init__.py")
    assert shown[1] == "None"


def test_editable_install_resolves_the_subpackage_to_the_adapters_folder() -> None:
    probe = (
        "import airflow_bridge.adapters as a, importlib.util as u;"
        "print(a.__file__); print(u.find_spec('adapters'))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, cwd="/"
    ).stdout.split()
    assert Path(shown[0]) == ROOT / "adapters" / "__init__.py"
    assert shown[1] == "None"
