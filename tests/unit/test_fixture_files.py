"""The recorded fixtures keep one exact format, leak no credentials and cover every scenario.

Other tests load fixtures by scenario name, so a missing or malformed file must fail here,
without live servers, rather than as a confusing error elsewhere.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES

COMMON = [
    "version",
    "health",
    "other_generation_version",
    "other_generation_dagruns",
    "auth_missing",
    "auth_bad_token_or_password",
    "forbidden_viewer_trigger",
    "trigger_minimal",
    "trigger_with_logical_date",
    "trigger_with_conf_and_note",
    "trigger_with_data_interval",
    "trigger_data_interval_half",
    "trigger_duplicate_run_id",
    "trigger_naive_logical_date",
    "trigger_unknown_dag",
    "trigger_unknown_field",
    "get",
    "get_not_found",
    "get_special_run_id",
    "get_slash_run_id",
    "list_dag",
    "list_all",
    "list_state_filter",
    "list_order_by",
    "list_order_by_repeated",
    "list_page",
    "list_limit_zero",
    "list_limit_over_max",
    "list_default_limit",
    "list_date_filter",
    "list_naive_date_filter",
    "list_updated_at_filter",
    "list_unknown_dag",
    "batch_list",
    "batch_list_large_page",
    "batch_list_states",
    "patch_state_success",
    "patch_state_failed",
    "patch_state_queued",
    "patch_state_running",
    "patch_state_invalid",
    "patch_not_found",
    "set_note",
    "clear_dry_run",
    "clear_real",
    "clear_default",
    "clear_only_failed",
    "clear_not_found",
    "upstream_events_consumer",
    "upstream_events_manual",
    "delete",
    "delete_not_found",
]
REQUIRED = {
    "v1": [*COMMON, "list_state_comma", "trigger_null_logical_date"],
    "v2": [
        *COMMON,
        "token_ok",
        "token_bad_credentials",
        "token_missing_fields",
        "trigger_missing_logical_date",
        "list_run_type_filter",
        "patch_state_and_note",
        "patch_mask_comma_joined",
        "get_after_comma_mask",
        "wait_stream",
    ],
}
RECORDED_VERSIONS = {"2.10.5": "v1", "3.3.2": "v2"}
METHODS = {"GET", "POST", "PATCH", "PUT", "DELETE"}
BASIC = re.compile(r"basic\s+([A-Za-z0-9+/=]+)", re.IGNORECASE)
FILES = sorted(FIXTURES.glob("*/*.json"))


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def is_json_value(value: object) -> bool:
    if value is None or isinstance(value, str | int | float | bool):
        return True
    if isinstance(value, list):
        return all(is_json_value(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_json_value(v) for k, v in value.items())
    return False


def is_header_map(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and k == k.lower() and isinstance(v, str) for k, v in value.items()
    )


def test_there_are_fixtures() -> None:
    assert FILES, f"no fixtures under {FIXTURES}: run scripts/record_fixtures.py"


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture_format(path: Path) -> None:
    data = load(path)
    assert list(data) == ["meta", "request", "response"]
    meta, request, response = data["meta"], data["request"], data["response"]

    recorded_keys = {"airflow_version", "api", "recorded_at", "scenario", "description", "derived"}
    assert set(meta) == recorded_keys | ({"derived_from"} if meta["derived"] else set())
    assert meta["airflow_version"] == path.parent.name
    assert meta["api"] == ("v1" if meta["airflow_version"].startswith("2.") else "v2")
    assert meta["scenario"] == path.stem
    assert isinstance(meta["description"], str)
    assert meta["description"]
    assert "\n" not in meta["description"]
    # Only releases that cannot run here (before 2.6) may have derived, unrecorded fixtures.
    can_run_here = tuple(int(p) for p in meta["airflow_version"].split(".")[:2]) >= (2, 6)
    assert meta["derived"] is not can_run_here
    recorded_at = datetime.fromisoformat(meta["recorded_at"])
    assert recorded_at.utcoffset() == timedelta(0)

    assert set(request) == {"method", "path", "query", "headers", "body"}
    assert request["method"] in METHODS
    assert request["path"].startswith("/")
    assert "?" not in request["path"]
    assert isinstance(request["query"], list)
    for pair in request["query"]:
        assert isinstance(pair, list)
        assert len(pair) == 2
        assert all(isinstance(part, str) for part in pair)
    assert is_header_map(request["headers"])
    assert is_json_value(request["body"])

    assert set(response) == {"status", "headers", "body"}
    assert isinstance(response["status"], int)
    assert 100 <= response["status"] <= 599
    assert is_header_map(response["headers"])
    assert is_json_value(response["body"])


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture_has_no_credentials(path: Path) -> None:
    data = load(path)
    assert not {"authorization", "cookie"} & set(data["request"]["headers"])
    assert "set-cookie" not in data["response"]["headers"]
    for match in BASIC.finditer(path.read_text()):
        try:
            decoded = base64.b64decode(match.group(1), validate=True)
        except (binascii.Error, ValueError):
            continue
        assert b":" not in decoded, f"Basic credentials in {path}"


@pytest.mark.parametrize("version", sorted(RECORDED_VERSIONS))
def test_every_required_scenario_is_recorded(version: str) -> None:
    recorded = {p.stem for p in (FIXTURES / version).glob("*.json")}
    missing = sorted(set(REQUIRED[RECORDED_VERSIONS[version]]) - recorded)
    assert not missing, f"{version} lacks fixtures: {missing}"
