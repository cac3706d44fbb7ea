"""`migrate check`: find what breaks on Airflow 3 by reading the code (ast), never running it.

Each file gets a context from its imports. Uses of the official 2.x client's names are
served by `airflow_bridge.compat.v1`, so they are findings only where the file does not
import that layer; a file that imports 2.x-only client names gets them fixed by one import
change (`fix` = "import"). Plain renames (`execution_date` to `logical_date`) are fixed in
place (`fix` = "rename"). The rest (URLs, raw payloads, auth) needs a person (`fix` = "").
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import attrs

from airflow_bridge.migrate._rules import BY_ID

OFFICIAL = "airflow_client.client"
COMPAT_V1 = "airflow_bridge.compat.v1"
LEGACY_MODULES = (f"{OFFICIAL}.model", f"{OFFICIAL}.apis")
LEGACY_NAMES = frozenset(
    {
        "DAGRunApi",
        "DAGRun",
        "DAGRunCollection",
        "UpdateDagRunState",
        "SetDagRunNote",
        "ClearDagRun",
        "ListDagRunsForm",
        "DatasetEvent",
        "DatasetEventCollection",
        "BasicDAGRun",
        "DagState",
        "TaskInstanceReference",
        "TaskInstanceReferenceCollection",
    }
)
# 2.x client method -> the facade call that replaces it.
REMOVED_METHODS = {
    "post_dag_run": "client.dag_runs.trigger(dag_id, run_id=..., logical_date=..., conf=...)",
    "update_dag_run_state": "client.dag_runs.set_state(dag_id, run_id, state)",
    "set_dag_run_note": "client.dag_runs.set_note(dag_id, run_id, note)",
    "get_dag_runs_batch": "client.dag_runs.list(dag_ids=[...], ...)",
    "get_upstream_dataset_events": "client.dag_runs.upstream_events(dag_id, run_id)",
}
REMOVED_PATHS = {
    "setNote": "PATCH .../dagRuns/{run_id}?update_mask=note on /api/v2, or "
    "client.dag_runs.set_note(dag_id, run_id, note)",
    "upstreamDatasetEvents": "GET .../upstreamAssetEvents on /api/v2, or "
    "client.dag_runs.upstream_events(dag_id, run_id)",
}
DATASET_NAMES = {
    "DatasetEvent": "AssetEvent",
    "DatasetEventCollection": "AssetEventCollectionResponse",
    "dataset_events": "asset_events",
    "dataset_uri": "uri",
    "dataset_id": "asset_id",
    "get_upstream_dataset_events": "get_upstream_asset_events",
}
EXECUTION_FILTERS = ("execution_date_gte", "execution_date_lte")
BASIC_HEADER = re.compile(r"Basic [A-Za-z0-9+/=]{8,}")


@attrs.frozen(kw_only=True)
class Finding:
    """One use that breaks or changes meaning on Airflow 3. `line` and `col` are 1-based."""

    path: str
    line: int
    col: int
    rule: str
    name: str
    message: str
    replacement: str
    fix: str = ""  # "import", "rename" or "" (needs a person)

    def to_dict(self) -> dict[str, object]:
        return attrs.asdict(self)


@attrs.frozen
class _Hit:
    node: ast.AST
    rule: str
    values: dict[str, str] = attrs.field(factory=dict)
    client: bool = False  # a use of the 2.x client's names: the compat layer serves it
    rename: bool = False  # `fix` can rename it in place


class _Visitor(ast.NodeVisitor):
    def __init__(self) -> None:
        self.hits: list[_Hit] = []
        self.modules: set[str] = set()
        self.host_literals: set[int] = set()  # in Configuration(host=...): compat accepts /api/v1

    def hit(self, node: ast.AST, rule: str, **values: str) -> None:
        self.hits.append(_Hit(node, rule, values))

    def client_hit(self, node: ast.AST, rule: str, *, rename: bool = False, **values: str) -> None:
        self.hits.append(_Hit(node, rule, values, client=True, rename=rename))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.modules.add(alias.name)
            if _legacy_module(alias.name):
                self.client_hit(node, "AB101")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        self.modules.add(module)
        if _legacy_module(module) or (
            _within(module, OFFICIAL)
            and any(
                alias.name in LEGACY_NAMES or alias.name in ("model", "apis")
                for alias in node.names
            )
        ):
            self.client_hit(node, "AB101")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr == "DAGRunApi":
            self.client_hit(node, "AB101")
        elif node.attr == "execution_date":
            self.client_hit(node, "AB103", rename=True, name="execution_date")
        elif node.attr in DATASET_NAMES and node.attr not in REMOVED_METHODS:
            self.client_hit(node, "AB109", name=node.attr, new=DATASET_NAMES[node.attr])
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in ("DatasetEvent", "DatasetEventCollection"):
            self.client_hit(node, "AB109", name=node.id, new=DATASET_NAMES[node.id])

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in REMOVED_METHODS:
            self.client_hit(func, "AB102", facade=REMOVED_METHODS[func.attr])
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        for keyword in node.keywords:
            if keyword.arg == "execution_date":
                self.client_hit(keyword, "AB103", rename=True, name="execution_date")
            elif keyword.arg in EXECUTION_FILTERS:
                bound = keyword.arg.rsplit("_", 1)[1]
                self.client_hit(keyword, "AB104", bound=bound)
            elif keyword.arg == "auth" and _is_pair(keyword.value):
                self.hit(keyword, "AB107")
            elif keyword.arg == "username" and called == "Configuration":
                self.client_hit(keyword, "AB107")
            if keyword.arg == "host" and called == "Configuration":
                self.host_literals |= {id(n) for n in ast.walk(keyword.value)}
        if called in ("HTTPBasicAuth", "BasicAuth"):
            self.hit(node, "AB107")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if not isinstance(node.value, str):
            return
        text = node.value
        if "/api/v1" in text:
            if id(node) in self.host_literals:
                self.client_hit(node, "AB105")
            else:
                self.hit(node, "AB105")
        for path, replacement in REMOVED_PATHS.items():
            if path in text:
                self.hit(node, "AB106", endpoint=path, replacement=replacement)
        if text == "execution_date" or text == "-execution_date":
            self.client_hit(node, "AB103", rename=True, name=text)
        elif text in EXECUTION_FILTERS:
            self.client_hit(node, "AB104", bound=text.rsplit("_", 1)[1])
        elif text == "dataset_triggered":
            self.client_hit(node, "AB108")
        elif text in ("dataset_uri", "dataset_events", "dataset_id"):
            self.client_hit(node, "AB109", name=text, new=DATASET_NAMES[text])
        elif text == "Basic " or BASIC_HEADER.fullmatch(text):
            self.hit(node, "AB107")


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _legacy_module(module: str) -> bool:
    return any(_within(module, legacy) for legacy in LEGACY_MODULES)


def _is_pair(node: ast.expr) -> bool:
    return isinstance(node, ast.Tuple) and len(node.elts) == 2


def scan_source(source: str, path: str = "<string>") -> list[Finding]:
    """The findings in one file's source, in line order."""
    try:
        # Top-level await is allowed: notebooks and documentation snippets use it.
        flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        tree = compile(source, path, "exec", flags=flags, dont_inherit=True)
    except SyntaxError as exc:
        rule = BY_ID["AB000"]
        return [
            Finding(
                path=path,
                line=exc.lineno or 1,
                col=exc.offset or 1,
                rule=rule.id,
                name=rule.name,
                message=f"{rule.breaks}: {exc.msg}",
                replacement=rule.replacement,
            )
        ]
    visitor = _Visitor()
    visitor.visit(tree)
    official = any(_within(m, "airflow_client") for m in visitor.modules)
    compat = any(_within(m, COMPAT_V1) for m in visitor.modules)
    facade = any(m == "airflow_bridge" for m in visitor.modules)
    legacy = official and any(hit.rule == "AB101" for hit in visitor.hits)
    findings = []
    for hit in visitor.hits:
        if hit.client and compat and not official:
            continue  # the compat layer serves the 2.x names
        if hit.client and legacy:
            fix = "import"
        elif hit.rename or (hit.rule == "AB104" and facade and isinstance(hit.node, ast.keyword)):
            fix = "rename"
        else:
            fix = ""
        findings.append(_finding(path, hit, fix))
    return sorted(findings, key=lambda f: (f.line, f.col, f.rule))


def _finding(path: str, hit: _Hit, fix: str) -> Finding:
    rule = BY_ID[hit.rule]
    line = getattr(hit.node, "lineno", 1)
    col = getattr(hit.node, "col_offset", 0) + 1
    return Finding(
        path=path,
        line=line,
        col=col,
        rule=rule.id,
        name=rule.name,
        message=rule.breaks.format(**hit.values),
        replacement=rule.replacement.format(**hit.values),
        fix=fix,
    )


def python_files(paths: Iterable[Path]) -> Iterator[Path]:
    """The .py files of the given files and directories (hidden and venv folders skipped)."""
    skip = {".git", ".venv", "venv", "__pycache__", "node_modules", ".tox", ".nox"}
    for path in paths:
        if path.is_dir():
            for found in sorted(path.rglob("*.py")):
                if not skip.intersection(found.relative_to(path).parts):
                    yield found
        else:
            yield path


def scan_paths(paths: Iterable[Path]) -> list[Finding]:
    """The findings of every Python file under `paths` (missing paths: FileNotFoundError)."""
    paths = list(paths)
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(f"no such file or directory: {path}")
    findings: list[Finding] = []
    for file in python_files(paths):
        findings += scan_source(file.read_text(encoding="utf-8", errors="replace"), str(file))
    return findings
