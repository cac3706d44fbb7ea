"""The capability matrix as a Markdown table, generated from the adapters' own tables.

README.md embeds its output between markers and a test checks they match, so the
documentation cannot drift from the code. Regenerate with `scripts/capability-table`.
"""

from __future__ import annotations

from ._base import CAPABILITIES, Adapter
from .v1 import V1Adapter
from .v2 import V2Adapter

START = "<!-- capability-table:start -->"
END = "<!-- capability-table:end -->"


def _since(adapter: type[Adapter], capability: str) -> str:
    added = adapter.added_in.get(capability, adapter.first_release)
    return "—" if added is None else f"{added.removesuffix('.0')}+"


def capability_table() -> str:
    """Which Airflow release first offers each capability, per API generation."""
    lines = [
        "| capability | Airflow 2 (`/api/v1`) | Airflow 3 (`/api/v2`) |",
        "|---|---|---|",
    ]
    lines += [
        f"| `{name}` | {_since(V1Adapter, name)} | {_since(V2Adapter, name)} |"
        for name in CAPABILITIES
    ]
    return "\n".join(lines)
