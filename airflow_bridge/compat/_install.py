"""The zero-edit path, as PyMySQL's `install_as_MySQLdb()`: `airflow_client.client` and its
submodules become aliases of a compat layer in `sys.modules`, so code that imports the
official client gets the layer without a changed line."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType

OFFICIAL = "airflow_client"
LAYERS = {"v1": "airflow_bridge.compat.v1", "v2": "airflow_bridge.compat.v2"}


class _Uncovered(MetaPathFinder):
    """Other `airflow_client.*` modules (DAGs, pools, ...): a clear ImportError, not the
    official client's module mixed in from disk."""

    def __init__(self, layer: str) -> None:
        self.layer = layer

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname.startswith(OFFICIAL + "."):
            raise ModuleNotFoundError(
                f"{fullname} is not provided by {LAYERS[self.layer]}: airflow_bridge's compat "
                "layers cover the DAG run API only (api.dag_run_api and its models)",
                name=fullname,
            )
        return None


def install_as_airflow_client(layer: str = "v1") -> None:
    """Make `import airflow_client.client...` resolve to `airflow_bridge.compat.<layer>`.

    Call it before anything imports the official client (first thing in the entry point).
    `layer` is "v1" (code written for apache-airflow-client 2.x) or "v2" (3.x).

    Raises:
        ValueError: an unknown layer.
        RuntimeError: the official client (or another layer) is already imported in this
            process; the aliases would not reach modules that already hold it.
    """
    if layer not in LAYERS:
        raise ValueError(f"layer must be 'v1' or 'v2', not {layer!r}")
    target = LAYERS[layer]
    present = sys.modules.get(OFFICIAL)
    if present is not None:
        installed = getattr(present, "__airflow_bridge_layer__", None)
        if installed == layer:
            return
        what = f"airflow_bridge's {installed} layer" if installed else "the official client"
        raise RuntimeError(
            f"airflow_client is already imported ({what}, from "
            f"{getattr(present, '__file__', None) or 'a layer'}): call "
            "install_as_airflow_client() before anything imports it, or run the program with "
            f"`python -m airflow_bridge.compat --layer {layer} ...`"
        )
    package = importlib.import_module(target)
    root = ModuleType(OFFICIAL, f"alias of {target}'s parent, installed by airflow_bridge")
    root.__path__ = []
    root.__airflow_bridge_layer__ = layer  # type: ignore[attr-defined]
    root.client = package  # type: ignore[attr-defined]
    aliases = {OFFICIAL: root, f"{OFFICIAL}.client": package}
    for info in pkgutil.walk_packages(package.__path__, target + "."):
        if "._" in info.name:
            continue
        module = importlib.import_module(info.name)
        aliases[f"{OFFICIAL}.client" + info.name[len(target) :]] = module
    sys.modules.update(aliases)
    sys.meta_path.insert(0, _Uncovered(layer))
