"""Optional dependencies, imported only when a scheme that needs one is constructed."""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingExtra(ImportError):
    """A scheme's optional dependency is not installed; the message names the extra to add."""


def require(module: str, *, extra: str, scheme: str) -> ModuleType:
    """Import `module`, or raise `MissingExtra` saying which extra of ours brings it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise MissingExtra(
            f"{scheme} needs the '{extra}' extra: pip install 'airflow-bridge[{extra}]' ({error})"
        ) from error
