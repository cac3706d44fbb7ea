"""Dependencies point one way: cli/fleet -> facade -> adapters -> models/errors.

Read from the source's import statements, so a stray import fails here, not in review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
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
UPPER = ("airflow_bridge.fleet", "airflow_bridge.cli", "airflow_bridge.testing")


@pytest.mark.parametrize("path", [PACKAGE / "models.py", PACKAGE / "errors.py"], ids=str)
def test_models_and_errors_import_nothing_of_ours(path: Path) -> None:
    assert imports_of(path) == set()


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
    }
    assert bad == set()


@pytest.mark.parametrize("path", modules(PACKAGE / "testing"), ids=lambda p: p.name)
def test_the_fake_is_an_independent_oracle(path: Path) -> None:
    """It never shares the adapters' (or the facade's) idea of the servers."""
    bad = {name for name in imports_of(path) if not name.startswith("airflow_bridge.testing")}
    assert bad == set()


@pytest.mark.parametrize("path", modules(PACKAGE), ids=lambda p: p.name)
def test_the_facade_never_imports_what_builds_on_it(path: Path) -> None:
    assert {name for name in imports_of(path) if name.startswith(UPPER)} == set()
