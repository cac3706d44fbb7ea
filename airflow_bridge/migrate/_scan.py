"""`migrate check`: find what breaks on Airflow 3 by reading the code (ast), never running it.

Each file gets a context from its imports. Uses of the official 2.x client's names are
served by `airflow_bridge.compat.v1`, so they are findings only where the file does not
import that layer; a file that imports 2.x-only client names gets them fixed by one import
change (`fix` = "import"), but only when the compat layer has every 2.x client module and
name the file uses (else each missing one is an AB110 finding and nothing is switched).
`execution_date` keywords are renamed in place (`fix` = "rename") only in calls that the
file's imports tie to Airflow's client or airflow_bridge; anywhere else the name may be the
user's own. The rest (URLs, raw payloads, auth) needs a person (`fix` = "").
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import attrs

from airflow_bridge.migrate._coverage import COMPAT_V1, OFFICIAL, covered, provides
from airflow_bridge.migrate._rules import BY_ID

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
UNTIED = (
    "; `fix` leaves it: it is not an argument of a call that this file's airflow_client or "
    "airflow_bridge imports resolve, so it may be a name of your own (rename it by hand "
    "where it is Airflow's)"
)
BOM = "\ufeff"
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


class _Names:
    """What each name of a file is bound to: a dotted path from its imports, or from a call
    of one (`api = DagRunApi(c)`, `with Client(url) as client`; a call adds "()"). A name
    bound anywhere else (parameters, loops, other assignments) is not resolved."""

    def __init__(self, tree: ast.AST) -> None:
        sites: defaultdict[str, list[str | ast.expr | None]] = defaultdict(list)
        known: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    root = alias.name.split(".")[0]
                    sites[alias.asname or root].append(alias.name if alias.asname else root)
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    path = f"{node.module}.{alias.name}" if node.module and not node.level else None
                    sites[alias.asname or alias.name].append(path)
            elif isinstance(node, ast.Assign | ast.withitem):
                target = node.targets[0] if isinstance(node, ast.Assign) else node.optional_vars
                value = node.value if isinstance(node, ast.Assign) else node.context_expr
                if isinstance(target, ast.Name) and (
                    isinstance(node, ast.withitem) or len(node.targets) == 1
                ):
                    sites[target.id].append(value)
                    known.add(id(target))
            elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                if id(node) not in known:
                    sites[node.id].append(None)
            elif isinstance(node, ast.arg):
                sites[node.arg].append(None)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                sites[node.name].append(None)
        self.bound: dict[str, str] = {}
        for _ in range(3):  # assignments from calls of assigned names resolve in later rounds
            values = {name: {self._value(site) for site in found} for name, found in sites.items()}
            self.bound = {
                name: v.pop() for name, v in values.items() if len(v) == 1 and "" not in v
            }

    def _value(self, site: str | ast.expr | None) -> str:
        return site if isinstance(site, str) else self.resolve(site) if site else ""

    def resolve(self, node: ast.AST) -> str:
        """The dotted path of a Name/Attribute/Call chain, "" when its root is not bound."""
        if isinstance(node, ast.Name):
            return self.bound.get(node.id, "")
        if isinstance(node, ast.Attribute | ast.Call):
            base = self.resolve(node.value if isinstance(node, ast.Attribute) else node.func)
            tail = f".{node.attr}" if isinstance(node, ast.Attribute) else "()"
            return base + tail if base else ""
        return ""

    def tied(self, call: ast.Call) -> bool:
        """Whether the call resolves to Airflow's client or airflow_bridge."""
        path = self.resolve(call.func)
        return _within(path, "airflow_client") or _within(path, "airflow_bridge")


class _Visitor(ast.NodeVisitor):
    def __init__(self, names: _Names) -> None:
        self.names = names
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
            self.client_hit(node, "AB103", name="execution_date")
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
            tied = self.names.tied(node)
            if keyword.arg == "execution_date":
                self.client_hit(keyword, "AB103", rename=tied, name="execution_date")
            elif keyword.arg in EXECUTION_FILTERS:
                bound = keyword.arg.rsplit("_", 1)[1]
                self.client_hit(keyword, "AB104", rename=tied, bound=bound)
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
            self.client_hit(node, "AB103", name=text)
        elif text in EXECUTION_FILTERS:
            self.client_hit(node, "AB104", bound=text.rsplit("_", 1)[1])
        elif text == "dataset_triggered":
            self.client_hit(node, "AB108")
        elif text in ("dataset_uri", "dataset_events", "dataset_id"):
            self.client_hit(node, "AB109", name=text, new=DATASET_NAMES[text])
        elif text == "Basic " or BASIC_HEADER.fullmatch(text):
            self.hit(node, "AB107")


def _not_in_compat(tree: ast.AST, names: _Names) -> Iterator[tuple[ast.AST, str]]:
    """The 2.x client modules and names (imported, or used through an import) that the
    compat layer does not have."""
    inner = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            paths = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            paths = [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Name | ast.Attribute) and id(node) not in inner:
            paths = (
                [] if isinstance(getattr(node, "ctx", None), ast.Store) else [names.resolve(node)]
            )
        else:
            continue
        for path in paths:
            if _within(path, "airflow_client") and "()" not in path and not provides(path):
                yield node, path


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _legacy_module(module: str) -> bool:
    return any(_within(module, legacy) for legacy in LEGACY_MODULES)


def _is_pair(node: ast.expr) -> bool:
    return isinstance(node, ast.Tuple) and len(node.elts) == 2


def scan_source(source: str, path: str = "<string>") -> list[Finding]:
    """The findings in one file's source, in line order (a leading BOM is allowed)."""
    source = source.removeprefix(BOM)
    try:
        # Top-level await is allowed: notebooks and documentation snippets use it.
        flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        tree = compile(source, path, "exec", flags=flags, dont_inherit=True)
    except SyntaxError as exc:
        return [unreadable(path, exc.msg, exc.lineno or 1, exc.offset or 1)]
    names = _Names(tree)
    visitor = _Visitor(names)
    visitor.visit(tree)
    official = any(_within(m, "airflow_client") for m in visitor.modules)
    compat = any(_within(m, COMPAT_V1) for m in visitor.modules)
    legacy = official and any(hit.rule == "AB101" for hit in visitor.hits)
    missing = [
        _Hit(node, "AB110", {"name": name, "covered": covered()})
        for node, name in (_not_in_compat(tree, names) if legacy else ())
    ]
    findings = []
    for hit in visitor.hits + missing:
        if hit.client and compat and not official:
            continue  # the compat layer serves the 2.x names
        if hit.client and legacy and not missing:
            fix = "import"
        elif hit.rename and not legacy:
            fix = "rename"
        else:
            fix = ""
        note = UNTIED if hit.rule in ("AB103", "AB104") and not fix and not missing else ""
        findings.append(_finding(path, hit, fix, note))
    return sorted(findings, key=lambda f: (f.line, f.col, f.rule))


def unreadable(path: str, why: str, line: int = 1, col: int = 1) -> Finding:
    """The AB000 finding of a file that could not be decoded or parsed."""
    return _made(path, "AB000", line, col, note=f": {why}")


def read_source(path: Path) -> tuple[str, str]:
    """A file's text and encoding as Python reads it (PEP 263 cookie or BOM, else UTF-8);
    line endings are kept. Raises SyntaxError or UnicodeDecodeError (`ValueError`s)."""
    data = path.read_bytes()
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding), encoding


def _finding(path: str, hit: _Hit, fix: str, note: str = "") -> Finding:
    line = getattr(hit.node, "lineno", 1)
    col = getattr(hit.node, "col_offset", 0) + 1
    return _made(path, hit.rule, line, col, values=hit.values, fix=fix, note=note)


def _made(
    path: str,
    rule_id: str,
    line: int,
    col: int,
    *,
    values: Mapping[str, str] | None = None,
    fix: str = "",
    note: str = "",
) -> Finding:
    """A finding of rule `rule_id`, its texts filled with `values` (`note` after the message)."""
    rule = BY_ID[rule_id]
    return Finding(
        path=path,
        line=line,
        col=col,
        rule=rule.id,
        name=rule.name,
        message=rule.breaks.format(**(values or {})) + note,
        replacement=rule.replacement.format(**(values or {})),
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
        try:
            source, _ = read_source(file)
        except (SyntaxError, UnicodeDecodeError) as exc:
            findings.append(unreadable(str(file), f"it cannot be decoded: {exc}"))
            continue
        findings += scan_source(source, str(file))
    return findings
