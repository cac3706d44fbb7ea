"""The scanner's output formats: text (one line a finding, as compilers print them), JSON
and SARIF 2.1.0 (which CI systems such as GitHub code scanning turn into annotations)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from airflow_bridge.migrate._rules import RULES
from airflow_bridge.migrate._scan import Finding

FIX_NOTE = {"import": "fixable: the compat import", "rename": "fixable: rename", "": "manual"}
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def text(findings: Sequence[Finding]) -> str:
    lines = [
        f"{f.path}:{f.line}:{f.col}: {f.rule} [{f.name}] {f.message}. "
        f"Use: {f.replacement} ({FIX_NOTE[f.fix]})"
        for f in findings
    ]
    files = len({f.path for f in findings})
    fixable = sum(1 for f in findings if f.fix)
    lines.append(
        f"{len(findings)} finding(s) in {files} file(s); {fixable} fixable with "
        "`airflow-bridge migrate fix`"
        if findings
        else "no findings: nothing here breaks on Airflow 3"
    )
    return "\n".join(lines)


def as_json(findings: Sequence[Finding]) -> str:
    return json.dumps([f.to_dict() for f in findings], indent=2)


def sarif(findings: Sequence[Finding]) -> str:
    rules = [
        {
            "id": rule.id,
            "name": rule.name,
            "shortDescription": {"text": rule.breaks.split(" (")[0]},
            "help": {"text": rule.replacement},
        }
        for rule in RULES
    ]
    results = [
        {
            "ruleId": f.rule,
            "ruleIndex": [rule.id for rule in RULES].index(f.rule),
            "level": "error" if f.rule == "AB000" else "warning",
            "message": {"text": f"{f.message}. Use: {f.replacement}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": Path(f.path).as_posix()},
                        "region": {"startLine": f.line, "startColumn": f.col},
                    }
                }
            ],
            "properties": {"fix": f.fix or "manual"},
        }
        for f in findings
    ]
    run = {
        "tool": {
            "driver": {
                "name": "airflow-bridge migrate",
                "rules": rules,
            }
        },
        "results": results,
    }
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2)


FORMATTERS = {"text": text, "json": as_json, "sarif": sarif}
