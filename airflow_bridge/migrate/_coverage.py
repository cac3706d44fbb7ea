"""What `airflow_bridge.compat.v1` provides of the 2.x client, read from the package itself
(imported, never a hand-kept list), so `fix` switches only imports that will resolve."""

from __future__ import annotations

import functools
import importlib
import pkgutil
from types import ModuleType

OFFICIAL = "airflow_client.client"
COMPAT_V1 = "airflow_bridge.compat.v1"


@functools.cache
def provides(dotted: str) -> bool:
    """Whether the 2.x client name `dotted` (airflow_client.client..., a module or a name in
    one) exists in the compat layer. Private names (`_x`) never count."""
    if dotted == OFFICIAL.split(".")[0]:
        return True
    if not (dotted == OFFICIAL or dotted.startswith(OFFICIAL + ".")):
        return False
    target: object = importlib.import_module(COMPAT_V1)
    for part in dotted[len(OFFICIAL) + 1 :].split(".") if dotted != OFFICIAL else []:
        if part.startswith("_"):
            return False
        if hasattr(target, part):
            target = getattr(target, part)
        elif isinstance(target, ModuleType) and hasattr(target, "__path__"):
            try:
                target = importlib.import_module(f"{target.__name__}.{part}")
            except ImportError:
                return False
        else:
            return False
    return True


@functools.cache
def covered() -> str:
    """The compat layer's API modules, as a reader would import them ("api.dag_run_api")."""
    api = importlib.import_module(f"{COMPAT_V1}.api")
    names = [f"api.{m.name}" for m in pkgutil.iter_modules(api.__path__) if m.name[0] != "_"]
    return ", ".join(sorted(names))
