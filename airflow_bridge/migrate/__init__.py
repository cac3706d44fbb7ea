"""The migration scanner and fixer behind `airflow-bridge migrate check|fix`.

`scan_paths` reads Python files (ast, nothing is run) and reports each use that breaks or
changes meaning on Airflow 3; `fix_source` rewrites the safe cases with libcst (the
`migrate` extra).
"""

from airflow_bridge.migrate._fix import MissingExtra, fix_source, unified_diff
from airflow_bridge.migrate._report import FORMATTERS
from airflow_bridge.migrate._rules import RULES, Rule
from airflow_bridge.migrate._scan import (
    Finding,
    python_files,
    read_source,
    scan_paths,
    scan_source,
)

__all__ = [
    "FORMATTERS",
    "RULES",
    "Finding",
    "MissingExtra",
    "Rule",
    "fix_source",
    "python_files",
    "read_source",
    "scan_paths",
    "scan_source",
    "unified_diff",
]
