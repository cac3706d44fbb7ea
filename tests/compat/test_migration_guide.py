"""docs/migrating-to-airflow-3.md: its table of differences is generated from the adapters'
declared tables and request builders, and this test keeps the committed copy identical, so
the guide cannot drift from the code. Regenerate with:

    .venv/bin/python tests/compat/test_migration_guide.py
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

from airflow_bridge.adapters import V1Adapter, V2Adapter
from airflow_bridge.adapters._base import Adapter

from airflow_bridge.models import DATE_FILTERS, ORDER_FIELDS, ServerInfo

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "migrating-to-airflow-3.md"
START, END = "<!-- differences-table:start -->", "<!-- differences-table:end -->"
WHEN = datetime(2024, 1, 1, tzinfo=timezone.utc)


def adapters() -> tuple[Adapter, Adapter]:
    """Each generation's newest release (no version: the adapter assumes the newest)."""
    return (
        V1Adapter(ServerInfo(base_url="http://airflow", api="v1")),
        V2Adapter(ServerInfo(base_url="http://airflow", api="v2")),
    )


def _requests(requests: list[object]) -> str:
    shown = []
    for request in requests:
        method, path = request.method, request.path  # type: ignore[attr-defined]
        query = "&".join(f"{k}={v}" for k, v in request.params)  # type: ignore[attr-defined]
        body = request.json  # type: ignore[attr-defined]
        keys = "" if body is None else " {" + ", ".join(f"`{key}`" for key in body) + "}"
        shown.append(f"`{method} {path}{'?' + query if query else ''}`{keys}")
    return " then ".join(shown)


def rows(adapter: Adapter) -> dict[str, str]:
    login = adapter.login_request("user", "password")
    trigger = adapter.trigger(
        "etl", run_id="r", logical_date=WHEN, conf={}, note=None, data_interval=None
    )
    undated = adapter.trigger(
        "etl", run_id=None, logical_date=None, conf=None, note=None, data_interval=None
    )
    renames = {name: adapter.list_dates.get(name) for name in DATE_FILTERS}
    asset = "asset_triggered"
    return {
        "API prefix": f"`{adapter.prefix}`",
        "credentials": "HTTP Basic on every request"
        if login is None
        else f"`{login.method} {login.path}` → bearer token (JWT)",
        "trigger": _requests([trigger]),
        "trigger without a date": _requests([undated]),
        "set state and note": _requests(adapter.update("etl", "r", state="failed", note="n")),
        "dry-run clear": _requests([adapter.clear("etl", "r", dry_run=True, only_failed=False)]),
        "upstream events": f"{_requests([adapter.upstream_events('etl', 'r')])} → "
        f"`{adapter.events_key}`",
        "list date filters": ", ".join(
            f"`{wire}`" for name, wire in renames.items() if wire is not None
        ),
        "order_by fields": ", ".join(
            f"`{adapter.order_fields[name]}`"
            for name in ORDER_FIELDS
            if name in adapter.order_fields
        ),
        "asset-triggered run type": f"`{adapter.run_type_names.get(asset, asset)}`",
    }


def differences_table() -> str:
    v1, v2 = adapters()
    left, right = rows(v1), rows(v2)
    lines = ["| | Airflow 2 (`/api/v1`) | Airflow 3 (`/api/v2`) |", "|---|---|---|"]
    lines += [f"| {name} | {left[name]} | {right[name]} |" for name in left]
    return "\n".join(lines)


def embedded(text: str) -> str:
    return text.split(START, 1)[1].split(END, 1)[0].strip()


def test_the_guide_table_is_generated_from_the_adapters() -> None:
    assert embedded(GUIDE.read_text()) == differences_table(), (
        "docs/migrating-to-airflow-3.md is stale: run "
        ".venv/bin/python tests/compat/test_migration_guide.py"
    )


def test_the_table_shows_each_known_difference() -> None:
    table = differences_table()
    for expected in (
        "setNote",
        "update_mask=state",
        "/auth/token",
        "execution_date_gte",
        "dataset_triggered",
        "upstreamAssetEvents",
        "`dataset_events`",
    ):
        assert expected in table


if __name__ == "__main__":
    head, rest = GUIDE.read_text().split(START, 1)
    tail = rest.split(END, 1)[1]
    GUIDE.write_text(f"{head}{START}\n{differences_table()}\n{END}{tail}")
    sys.stdout.write(f"{GUIDE}: differences table regenerated\n")


def test_the_guide_lists_every_scanner_rule_and_shows_real_output() -> None:
    from click.testing import CliRunner

    from airflow_bridge.cli import cli
    from airflow_bridge.migrate import RULES

    guide = GUIDE.read_text()
    for rule in RULES:
        assert f"| {rule.id} |" in guide
    legacy = Path(__file__).resolve().parents[1] / "migrate" / "corpus" / "legacy_facade.py"
    output = CliRunner().invoke(cli, ["migrate", "check", str(legacy)]).output
    assert output.replace(str(legacy), "src/nightly.py") in guide
