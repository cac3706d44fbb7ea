"""The habits of a released library: version, licence, a command that explains a missing extra,
and documentation examples that run."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import airflow_bridge

ROOT = Path(__file__).resolve().parents[2]
# pyproject.toml's [project] version (tomllib is not in Python 3.10).
DECLARED = re.search(r'^version = "(.+)"$', (ROOT / "pyproject.toml").read_text(), re.M)


def test_version_is_the_one_declared_in_pyproject() -> None:
    assert DECLARED is not None
    assert airflow_bridge.__version__ == DECLARED[1]
    from airflow_bridge import __version__

    assert __version__ == airflow_bridge.__version__


def test_other_missing_attributes_still_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'version'"):
        airflow_bridge.version  # noqa: B018


def test_the_wheel_declares_apache_2_and_ships_the_licence_text(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)],
        check=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("airflow_bridge-*.whl")
    with zipfile.ZipFile(wheel) as built:
        dist_info = f"airflow_bridge-{airflow_bridge.__version__}.dist-info"
        metadata = built.read(f"{dist_info}/METADATA").decode()
        shipped = built.read(f"{dist_info}/licenses/LICENSE").decode()
    assert "License-Expression: Apache-2.0\n" in metadata
    assert "License-File: LICENSE\n" in metadata
    assert shipped == (ROOT / "LICENSE").read_text()
    assert "Apache License\n                           Version 2.0, January 2004" in shipped


# A finder ahead of the real ones that answers as the import system does for an absent module.
HIDE = """
import sys
class Hide:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {hidden!r} or name in {hidden!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
sys.meta_path.insert(0, Hide())
"""
AS_MODULE = "import runpy; runpy.run_module('airflow_bridge.cli', run_name='__main__')"
AS_SCRIPT = (
    "from importlib.metadata import entry_points;"
    "entry_points(group='console_scripts')['airflow-bridge'].load()()"
)


def run_without(hidden: set[str], start: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", HIDE.format(hidden=hidden) + start, "probe"],
        capture_output=True,
        text=True,
        check=False,
        cwd="/",
        timeout=60,
    )


@pytest.mark.parametrize("start", [AS_SCRIPT, AS_MODULE], ids=["console-script", "python-m"])
@pytest.mark.parametrize("missing", ["click", "rich"])
def test_without_the_cli_extra_the_command_says_how_to_install_it(missing: str, start: str) -> None:
    done = run_without({missing}, start)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        "airflow-bridge: the command line needs the optional [cli] dependencies "
        f"({missing} is not installed).\n"
        "Install them with: pip install 'airflow-bridge[cli]'\n"
    )


def test_the_console_script_is_the_function_that_handles_the_missing_extra() -> None:
    (script,) = entry_points(group="console_scripts", name="airflow-bridge")
    assert script.value == "airflow_bridge.cli:main"


def test_a_missing_module_that_is_not_the_extra_is_not_blamed_on_it() -> None:
    done = run_without({"airflow_bridge.cli._records"}, AS_MODULE)
    assert done.returncode == 1
    assert "ModuleNotFoundError: No module named 'airflow_bridge.cli._records'" in done.stderr
    assert "pip install" not in done.stderr


# The documentation's own code blocks (README sections it includes are run by test_readme).
# The migration guide's blocks are fragments of a user's code (names defined elsewhere); its
# generated table is kept identical to the code by tests/compat/test_migration_guide.py.
# The authentication guide's blocks need Google, AWS or a KDC; tests/auth and
# tests/real/test_kerberos_real.py run each scheme against stand-ins or the real KDC instead.
NOT_RUNNABLE = {"migrating-to-airflow-3.md", "authentication.md"}
DOC_BLOCKS = [
    (page.relative_to(ROOT).as_posix(), code)
    for page in sorted((ROOT / "docs").rglob("*.md"))
    if page.name not in NOT_RUNNABLE
    for code in re.findall(r"```python\n(.*?)```", page.read_text(), re.DOTALL)
]


@pytest.mark.parametrize(
    "code", [code for _, code in DOC_BLOCKS], ids=[page for page, _ in DOC_BLOCKS]
)
def test_documentation_examples_run(code: str, pytester: pytest.Pytester) -> None:
    if "def test_" in code:
        pytester.makepyfile(test_doc_example=code)
        result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider")
        assert result.ret == 0, result.stdout.str()
        assert result.parseoutcomes()["passed"] >= 1
    else:
        exec(compile(code, "<docs>", "exec"), {})
