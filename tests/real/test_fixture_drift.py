"""The committed fixtures still describe what the live servers answer.

Fixtures are the ground truth for the fast tests; if a server release changes a status
code or the shape of a body, these tests say so instead of the fast tier silently testing
against stale recordings. Values (timestamps, ids, tokens) are volatile and not compared.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from types import ModuleType
from typing import Any

import httpx
import pytest
from conftest import FIXTURES, ROOT

pytestmark = pytest.mark.real

# user payloads, not schema: their keys are whatever a run's conf or an event's extra holds
FREE_FORM_KEYS = {"conf", "extra"}


def load_recorder() -> ModuleType:
    """scripts/ is not a package, so the recorder is loaded from its path."""
    path = ROOT / "scripts" / "record_fixtures.py"
    spec = importlib.util.spec_from_file_location("record_fixtures", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def key_differences(recorded: Any, committed: Any, where: str) -> list[str]:
    """Dict keys at every level; lists by their first elements when both have one."""
    if isinstance(recorded, dict) and isinstance(committed, dict):
        problems = []
        if set(recorded) != set(committed):
            new = sorted(set(recorded) - set(committed))
            gone = sorted(set(committed) - set(recorded))
            problems.append(f"{where}: keys now {new} new, {gone} gone")
        for key in sorted(set(recorded) & set(committed) - FREE_FORM_KEYS):
            problems += key_differences(recorded[key], committed[key], f"{where}.{key}")
        return problems
    if isinstance(recorded, list) and isinstance(committed, list) and recorded and committed:
        return key_differences(recorded[0], committed[0], f"{where}[0]")
    return []


def type_differences(recorded: Any, committed: Any) -> list[str]:
    """Value types of the top level, where both sides have a non-null value."""
    if not isinstance(recorded, dict) or not isinstance(committed, dict):
        if None in (recorded, committed) or type(recorded) is type(committed):
            return []
        return [f"body: {type(committed).__name__} -> {type(recorded).__name__}"]
    return [
        f"body.{key}: {type(committed[key]).__name__} -> {type(recorded[key]).__name__}"
        for key in sorted(set(recorded) & set(committed))
        if None not in (recorded[key], committed[key])
        and type(recorded[key]) is not type(committed[key])
    ]


def drift(recorded: dict[str, Any], committed: dict[str, Any]) -> list[str]:
    """Every difference between two recordings, keyed by scenario, as readable lines."""
    problems = [f"{name}: no longer recorded" for name in sorted(set(committed) - set(recorded))]
    problems += [f"{name}: not in the fixtures" for name in sorted(set(recorded) - set(committed))]
    for name in sorted(set(recorded) & set(committed)):
        now, then = recorded[name]["response"], committed[name]["response"]
        if now["status"] != then["status"]:
            problems.append(f"{name}: status {then['status']} -> {now['status']}")
        for line in key_differences(now["body"], then["body"], "body") + type_differences(
            now["body"], then["body"]
        ):
            problems.append(f"{name}: {line}")
    return problems


def test_recording_matches_fixtures(live_server: dict[str, Any]) -> None:
    folder = FIXTURES / live_server["version"]
    if not folder.is_dir():
        pytest.skip(f"no fixtures recorded for Airflow {live_server['version']}")
    committed = {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}
    exchanges = load_recorder().record(
        live_server["base_url"],
        live_server["username"],
        live_server["password"],
        live_server["viewer_username"],
        live_server["viewer_password"],
        live_server["api"],
        live_server["version"],
    )
    recorded = {e["meta"]["scenario"]: e for e in exchanges}
    problems = drift(recorded, committed)
    assert not problems, (
        f"Airflow {live_server['version']} drifted from {folder.relative_to(ROOT)} "
        "(re-record with scripts/record_fixtures.py if intended):\n" + "\n".join(problems)
    )


def health_path(api: str) -> str:
    return "/api/v1/health" if api == "v1" else "/api/v2/monitor/health"


def test_version_and_health(live_server: dict[str, Any]) -> None:
    """Both answer without credentials, so a client can identify a server before logging in."""
    base, api = live_server["base_url"], live_server["api"]
    version = httpx.get(f"{base}/api/{api}/version", timeout=10)
    assert version.status_code == 200
    assert version.json()["version"] == live_server["version"]
    health = httpx.get(base + health_path(api), timeout=10)
    assert health.status_code == 200
    assert health.json()["metadatabase"]["status"] == "healthy"


def token(server: dict[str, Any], password: str) -> httpx.Response:
    return httpx.post(
        f"{server['base_url']}/auth/token",
        json={"username": server["username"], "password": password},
        timeout=10,
    )


def test_credentials_are_checked(live_server: dict[str, Any]) -> None:
    """Basic auth on 2.x, a bearer token from /auth/token on 3.x; wrong passwords get 401."""
    base, api = live_server["base_url"], live_server["api"]
    runs = f"{base}/api/{api}/dags/bridge_plain/dagRuns"
    assert httpx.get(runs, timeout=10).status_code == 401
    if api == "v1":
        user = live_server["username"]
        good = httpx.get(runs, auth=(user, live_server["password"]), timeout=10)
        bad = httpx.get(runs, auth=(user, "wrong-password"), timeout=10)
        assert good.status_code == 200
        assert bad.status_code == 401
        return
    issued = token(live_server, live_server["password"])
    assert issued.status_code == 201
    bearer = {"authorization": f"Bearer {issued.json()['access_token']}"}
    assert httpx.get(runs, headers=bearer, timeout=10).status_code == 200
    assert token(live_server, "wrong-password").status_code == 401
    garbage = httpx.get(runs, headers={"authorization": "Bearer not-a-jwt"}, timeout=10)
    assert garbage.status_code in (401, 403)  # 3.3.2 answers 403 "Invalid JWT token"


def test_drift_reports_every_difference() -> None:
    """The comparison itself, so a drift check that can never fail would be noticed."""
    then = {
        "same": {"response": {"status": 200, "body": {"a": [{"b": 1}], "conf": {"x": 1}}}},
        "gone": {"response": {"status": 200, "body": None}},
    }
    now = {
        "same": {"response": {"status": 400, "body": {"a": [{"c": 1}], "conf": {"y": 1}}}},
        "new": {"response": {"status": 200, "body": "text"}},
    }
    assert drift(now, then) == [
        "gone: no longer recorded",
        "new: not in the fixtures",
        "same: status 200 -> 400",
        "same: body.a[0]: keys now ['c'] new, ['b'] gone",
    ]
