"""The venvs under `.bench/` that the benchmarks run contenders in (created on first use).

* `airflow-client-<version>`: one apache-airflow-client release each (both import as
  `airflow_client.client`, so they cannot share an interpreter).
* `airflow-bridge`: this checkout as a library user installs it (`pip install .`, no extras).
* `airflow-bridge-cli`: the same with the `[cli]` extra, for `airflow-bridge --help`.

Each is made with `python -m venv` from the interpreter running the benchmark, so every
contender runs on the same CPython.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from _report import REPO, WORK, log

CLIENT = "apache-airflow-client"


def client_python(version: str) -> Path:
    """The python of `.bench/airflow-client-VERSION`, reused while its version matches."""
    venv = WORK / f"airflow-client-{version}"
    python = venv / "bin" / "python"
    if python.exists() and _installed_version(python) == version:
        return python
    log(f"installing {CLIENT}=={version} into {venv.relative_to(REPO)} ...")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    pip(python, "install", "--quiet", f"{CLIENT}=={version}")
    return python


def bridge_python(extra: str = "", source: Path = REPO) -> Path:
    """The python of `.bench/airflow-bridge[-EXTRA]`: this checkout (or `source`),
    reinstalled every run so the figure is of the code as it is now (`pip install .[EXTRA]`,
    not editable: an editable install adds its own import hook to every start)."""
    venv = WORK / ("airflow-bridge" + (f"-{extra}" if extra else ""))
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    target = f"{source}[{extra}]" if extra else str(source)
    pip(python, "install", "--quiet", "--force-reinstall", "--no-deps", str(source))
    pip(python, "install", "--quiet", target)
    return python


def _installed_version(python: Path) -> str | None:
    probe = f"from importlib.metadata import version; print(version({CLIENT!r}))"
    done = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else None


def pip(python: Path, *args: str) -> None:
    """pip without its noise: this machine's pip config names local indexes that pip warns
    it ignores ("WARNING: Location 'file:///opt/pypi…' is ignored") on every resolution."""
    done = subprocess.run([python, "-m", "pip", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        output = (done.stdout + done.stderr).splitlines()
        kept = "\n".join(line for line in output if "is ignored" not in line)
        raise SystemExit(f"pip {' '.join(args)} failed:\n{kept}")
