"""Dependencies point one way: cli/fleet -> facade -> adapters -> models/errors.

Read from the source's import statements, so a stray import fails here, not in review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "airflow_bridge"


def imports_of(path: Path) -> set[str]:
    """Every airflow_bridge module a file imports (relative imports resolved)."""
    if path.parent == ROOT / "adapters":  # installed as airflow_bridge.adapters
        package = "airflow_bridge.adapters"
    else:
        package = ".".join(("airflow_bridge", *path.parent.relative_to(PACKAGE).parts))
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found |= {base} | {f"{base}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {name for name in found if name.startswith("airflow_bridge")}


def modules(*folders: Path) -> list[Path]:
    return sorted(p for folder in folders for p in folder.glob("*.py"))


FACADE_INTERNALS = ("airflow_bridge._client", "airflow_bridge._plans", "airflow_bridge._auth")
UPPER = (
    "airflow_bridge.fleet",
    "airflow_bridge.cli",
    "airflow_bridge.testing",
    "airflow_bridge.compat",
    "airflow_bridge.migrate",
)


def test_models_import_nothing_of_ours() -> None:
    assert imports_of(PACKAGE / "models.py") == set()


def test_errors_import_only_models() -> None:
    """Errors carry models (`WaitTimeout.last` is a DagRun, `RunFailed.failed_tasks` task
    instances); models never import errors."""
    assert imports_of(PACKAGE / "errors.py") <= {
        "airflow_bridge.models",
        "airflow_bridge.models.DagRun",
        "airflow_bridge.models.TaskInstance",  # RunFailed.failed_tasks
    }


@pytest.mark.parametrize("path", modules(ROOT / "adapters"), ids=lambda p: p.name)
def test_adapters_import_only_models_errors_and_each_other(path: Path) -> None:
    allowed = ("airflow_bridge.models", "airflow_bridge.errors", "airflow_bridge.adapters")
    assert {name for name in imports_of(path) if not name.startswith(allowed)} == set()


@pytest.mark.parametrize(
    "path", modules(PACKAGE / "fleet", PACKAGE / "cli"), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_fleet_and_cli_use_the_public_facade_not_adapters_or_internals(path: Path) -> None:
    bad = {
        name
        for name in imports_of(path)
        if name.startswith(("airflow_bridge.adapters", *FACADE_INTERNALS))
        and name not in DECLARED_TABLES
    }
    assert bad == set()


#: The adapters' declared tables of generations, which the fleet may read (a generation's
#: health path); never an adapter to translate with.
DECLARED_TABLES = frozenset(("airflow_bridge.adapters", "airflow_bridge.adapters.BY_API"))


@pytest.mark.parametrize("path", modules(PACKAGE / "testing"), ids=lambda p: p.name)
def test_the_fake_is_an_independent_oracle(path: Path) -> None:
    """It never shares the adapters' (or the facade's) idea of the servers."""
    bad = {name for name in imports_of(path) if not name.startswith("airflow_bridge.testing")}
    assert bad == set()


@pytest.mark.parametrize("path", modules(PACKAGE), ids=lambda p: p.name)
def test_the_facade_never_imports_what_builds_on_it(path: Path) -> None:
    assert {name for name in imports_of(path) if name.startswith(UPPER)} == set()


COMPAT = PACKAGE / "compat"
COMPAT_MODULES = sorted(COMPAT.rglob("*.py"))


@pytest.mark.parametrize("path", COMPAT_MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_compat_is_thin_over_the_public_facade(path: Path) -> None:
    """Only the public facade, models and errors, and the compat package itself: no second
    HTTP stack, no adapter knowledge, nothing of the CLI or the fleet."""
    import airflow_bridge

    public = {"airflow_bridge", *(f"airflow_bridge.{name}" for name in airflow_bridge.__all__)}
    allowed = ("airflow_bridge.compat", "airflow_bridge.models", "airflow_bridge.errors")
    bad = {name for name in imports_of(path) if name not in public and not name.startswith(allowed)}
    assert bad == set()
    http_stacks = {"urllib3", "requests", "aiohttp", "urllib.request", "http.client"}
    imported = {
        alias.name
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module or ""
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom)
    }
    assert imported & http_stacks == set()
    assert "httpx.Client(" not in path.read_text()


@pytest.mark.parametrize("path", modules(PACKAGE / "migrate"), ids=lambda p: p.name)
def test_the_scanner_reads_code_and_imports_nothing_of_the_library(path: Path) -> None:
    assert {n for n in imports_of(path) if not n.startswith("airflow_bridge.migrate")} == set()


@pytest.mark.parametrize("path", modules(PACKAGE / "auth"), ids=lambda p: f"auth/{p.name}")
def test_auth_schemes_build_on_adapters_models_and_errors_not_the_facade(path: Path) -> None:
    """airflow_bridge.auth plugs into the clients through `auth=`: it never imports them."""
    allowed = (
        "airflow_bridge.auth",
        "airflow_bridge.adapters",
        "airflow_bridge.models",
        "airflow_bridge.errors",
    )
    assert {name for name in imports_of(path) if not name.startswith(allowed)} == set()
