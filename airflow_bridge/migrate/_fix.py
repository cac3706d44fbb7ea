"""`migrate fix`: rewrite what the scanner marked fixable, with libcst (a concrete syntax tree,
so formatting and comments survive).

Two rewrites only: in a file that uses the official 2.x client's names, and only when the
compat layer has every one of them, every `airflow_client.client` prefix becomes
`airflow_bridge.compat.v1` (imports and dotted uses; the layer keeps `execution_date`, so
nothing is renamed there); and the `execution_date` keywords of calls that the scanner tied
to Airflow's client or airflow_bridge become `logical_date`. Files are read and written in
their own encoding (PEP 263), BOM and line endings kept.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

from airflow_bridge.migrate._coverage import COMPAT_V1, OFFICIAL
from airflow_bridge.migrate._scan import BOM, scan_source

if TYPE_CHECKING:
    import libcst as cst

RENAMES = {
    "execution_date": "logical_date",
    "execution_date_gte": "logical_date_gte",
    "execution_date_lte": "logical_date_lte",
}


class MissingExtra(RuntimeError):
    """libcst is not installed."""


def _libcst() -> Any:
    try:
        import libcst
        import libcst.metadata
    except ImportError as exc:
        raise MissingExtra(
            "`migrate fix` needs libcst: pip install 'airflow-bridge[migrate]'"
        ) from exc
    return libcst


def fix_source(source: str, path: str = "<string>") -> str:
    """The source with its fixable findings rewritten (unchanged when there are none); a
    leading BOM is kept."""
    if source.startswith(BOM):
        return BOM + fix_source(source[len(BOM) :], path)
    findings = scan_source(source, path)
    compat_import = any(f.fix == "import" for f in findings)
    renames = {(f.line, f.col - 1) for f in findings if f.fix == "rename"}
    if not compat_import and not renames:
        return source
    libcst = _libcst()
    wrapper = libcst.metadata.MetadataWrapper(libcst.parse_module(source))
    fixed: cst.Module = wrapper.visit(_transformer(libcst, compat_import, renames))
    return fixed.code


def _transformer(libcst: Any, compat_import: bool, renames: set[tuple[int, int]]) -> Any:
    positions = libcst.metadata.PositionProvider

    class Fixer(libcst.CSTTransformer):  # type: ignore[misc]
        METADATA_DEPENDENCIES = (positions,)

        def _marked(self, node: Any) -> bool:
            start = self.get_metadata(positions, node).start
            return (start.line, start.column) in renames

        def leave_Attribute(self, original: Any, updated: Any) -> Any:
            return self._prefix(updated)

        def leave_Arg(self, original: Any, updated: Any) -> Any:
            if updated.keyword is not None and self._marked(original):
                name = RENAMES.get(updated.keyword.value)
                if name is not None:
                    return updated.with_changes(keyword=libcst.Name(name))
            return updated

        def leave_ImportFrom(self, original: Any, updated: Any) -> Any:
            """`from airflow_client import client` (dotted modules are Attributes, already
            rewritten by leave_Attribute)."""
            if not compat_import or _dotted(updated.module) != "airflow_client":
                return updated
            names = [
                alias.with_changes(
                    name=libcst.Name("v1"),
                    asname=alias.asname or libcst.AsName(name=libcst.Name("client")),
                )
                if _dotted(alias.name) == "client"
                else alias
                for alias in updated.names
            ]
            return updated.with_changes(module=_expr(libcst, "airflow_bridge.compat"), names=names)

        def leave_ImportAlias(self, original: Any, updated: Any) -> Any:
            if compat_import and _dotted(updated.name) == "airflow_client":
                return updated.with_changes(name=_expr(libcst, COMPAT_V1))
            return updated

        def _prefix(self, node: Any) -> Any:
            if compat_import and _dotted(node).startswith(OFFICIAL):
                return _expr(libcst, _swap(_dotted(node)))
            return node

    return Fixer()


def _dotted(node: Any) -> str:
    """ "a.b.c" for a Name/Attribute chain; "" for anything else."""
    parts = []
    while type(node).__name__ == "Attribute":
        parts.append(node.attr.value)
        node = node.value
    if type(node).__name__ != "Name":
        return ""
    return ".".join([node.value, *reversed(parts)])


def _swap(dotted: str) -> str:
    return COMPAT_V1 + dotted[len(OFFICIAL) :]


def _expr(libcst: Any, dotted: str) -> Any:
    node: Any = libcst.Name(dotted.split(".")[0])
    for part in dotted.split(".")[1:]:
        node = libcst.Attribute(value=node, attr=libcst.Name(part))
    return node


def unified_diff(before: str, after: str, path: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=path if path.startswith("/") else f"a/{path}",
            tofile=path if path.startswith("/") else f"b/{path}",
        )
    )
