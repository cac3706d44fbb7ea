"""Contract: the fake answers the recorder's scenarios as the real servers did.

`scripts/record_fixtures.py` drove real Airflow 2.10.5 and 3.3.2 servers to make fixtures/.
Here its own `record()` drives a FakeAirflow of the same version (same users and DAGs) on
loopback, and every exchange is compared with the committed recording: status, content
type, body keys (recursively) and value types, and for errors the message itself once
volatile parts (ids, dates, log ids) are masked. Values set by scheduler timing
(start/end dates, durations, the run's state) may be null on one side and not on the other:
a real recording shows whatever the scheduler had reached, and so does the fake.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import time
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from airflow_bridge.testing import Clock, FakeAirflow

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"


def _folders(derived: bool) -> list[str]:
    """Versions whose fixtures are real recordings (or, with derived=True, derived from
    another recording and that release's docs: those are checked one request at a time)."""
    found = []
    for folder in sorted(FIXTURES.iterdir()):
        files = sorted(folder.glob("*.json"))
        if files and json.loads(files[0].read_text())["meta"].get("derived", False) == derived:
            found.append(folder.name)
    return found


VERSIONS = _folders(derived=False)
DERIVED = _folders(derived=True)
#: Recorded with the recorder's current plan. The other versions' folders come from older plans
#: (their servers are not kept running), so a scenario added since is compared where recorded.
REFERENCE = {"2.10.5", "3.3.2"}
#: Fields whose null-ness depends on how far the scheduler had got when the answer was sent.
TIMING = frozenset(
    {
        "start_date",
        "end_date",
        "duration",
        "last_scheduling_decision",
        "latest_scheduler_heartbeat",
        "queued_when",
        "scheduled_when",
    }
)
VOLATILE = [
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?"), "<date>"),
    (re.compile(r"(bridge|seed|probe)([-/])[0-9a-f]{6}"), r"\1\2<tok>"),
    (re.compile(r"look for ID \w+"), "look for ID <id>"),
]


class FastClock(Clock):
    """Wall time whose sleeps (the recorder's polls, the wait stream's) pass instantly."""

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)


def load_recorder(clock: Clock) -> ModuleType:
    """A private copy of the recorder whose sleeps move the fake's clock instead of waiting."""
    spec = importlib.util.spec_from_file_location(
        "_fake_contract_recorder", ROOT / "scripts" / "record_fixtures.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while decorating
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    vars(module)["time"] = SimpleNamespace(monotonic=time.monotonic, sleep=clock.advance)
    return module


def replay(version: str) -> list[dict[str, Any]]:
    clock = FastClock()
    fake = FakeAirflow(version, clock=clock, auto=2)
    recorder = load_recorder(clock)
    with fake.serve() as server:
        exchanges: list[dict[str, Any]] = recorder.record(
            server.url, "admin", "admin", "viewer", "viewer", fake.api, version
        )
    return exchanges


def masked(value: Any) -> Any:
    if isinstance(value, str):
        for pattern, replacement in VOLATILE:
            value = pattern.sub(replacement, value)
        return value
    if isinstance(value, dict):
        return {k: masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value


def kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def identity(item: Any) -> str | None:
    """A list element's id with the recording's random token masked, to pair elements: its
    run id, and its task id (task instances of one run share the run id)."""
    if isinstance(item, dict):
        names = [
            item[n] for n in ("dag_run_id", "run_id", "task_id") if isinstance(item.get(n), str)
        ]
        return "/".join(str(masked(name)) for name in names) or None
    return None


def shape_diff(real: Any, fake: Any, path: str, key: str = "", loose: bool = False) -> list[str]:
    """Where the fake's JSON differs in keys or value types from the real one.

    `loose` compares two different items of a listing (which runs a page holds depends on
    each server's history): only values present on both sides must agree in type, and
    `conf` (user data) is not looked into.
    """
    if real is None or fake is None:
        if (real is None) == (fake is None) or key in TIMING or loose:
            return []
        return [f"{path}: {kind(real)} recorded, {kind(fake)} from the fake"]
    if kind(real) != kind(fake):
        return [f"{path}: {kind(real)} recorded, {kind(fake)} from the fake"]
    if isinstance(real, dict) and not (loose and key == "conf"):
        diffs = []
        if set(real) != set(fake):
            missing, extra = sorted(set(real) - set(fake)), sorted(set(fake) - set(real))
            diffs.append(f"{path}: keys missing {missing}, extra {extra}")
        for name in sorted(set(real) & set(fake)):
            diffs += shape_diff(real[name], fake[name], f"{path}.{name}", name, loose)
        return diffs
    if isinstance(real, list):
        if not real or not fake:
            return [] if len(real) == len(fake) else [f"{path}: {len(real)} items, {len(fake)}"]
        recorded = {identity(item): item for item in real}
        diffs = []
        for i, item in enumerate(fake):
            name, where = identity(item), f"{path}[{i}]"
            if name in recorded and name is not None:
                diffs += shape_diff(recorded[name], item, where, key, loose)
            else:
                other = real[min(i, len(real) - 1)]
                diffs += shape_diff(other, item, where, key, loose or name is not None)
        return diffs
    return []


def page_diff(real: Any, fake: Any) -> list[str]:
    """Page sizes must agree unless a page holds a whole (volatile-sized) collection."""
    if not isinstance(real, dict) or "total_entries" not in real or not isinstance(fake, dict):
        return []
    for name in ("dag_runs", "task_instances", "asset_events", "dataset_events", "dags"):
        if name in real and name in fake:
            whole = len(real[name]) == real["total_entries"] and real["total_entries"] > 5
            if not whole and len(real[name]) != len(fake[name]):
                return [
                    f"{name}: {len(real[name])} items recorded, {len(fake[name])} from the fake"
                ]
    return []


def timing_filtered(exchange: dict[str, Any]) -> bool:
    """A v1 listing filtered on a column the scheduler sets (start_date_gte, say): NULL never
    matches there, so which runs it holds is scheduler timing too. The same recorder plan
    gave 3 such runs on 2.7.3 and 5 of 6 on 2.8.4 (seed runs the scheduler happened to start
    before they were marked success; a run marked failed before it started)."""
    request = exchange["request"]
    names = [name for name, _ in request["query"]]
    if isinstance(request["body"], dict):
        names += list(request["body"])
    return exchange["meta"]["api"] == "v1" and any(
        name.rpartition("_")[0] in TIMING for name in names
    )


def stream_diff(real: str, fake: str) -> list[str]:
    """NDJSON state lines: same keys per line, both end in a finished state."""
    lines = [[json.loads(line) for line in text.splitlines() if line] for text in (real, fake)]
    if not lines[1]:
        return ["empty stream from the fake"]
    keys = [{frozenset(line) for line in side} for side in lines]
    if keys[0] != keys[1]:
        return [f"stream line keys {keys[0]} recorded, {keys[1]} from the fake"]
    if lines[1][-1]["state"] not in ("success", "failed"):
        return [f"stream ends in {lines[1][-1]['state']}"]
    return []


def media_type(exchange: dict[str, Any]) -> str:
    return str(exchange["response"]["headers"].get("content-type", "")).split(";")[0]


def differences(real: dict[str, Any], fake: dict[str, Any], loose: bool = False) -> list[str]:
    a, b = real["response"], fake["response"]
    if a["status"] != b["status"]:
        return [f"status {a['status']} recorded, {b['status']} from the fake: {b['body']!r:.300}"]
    diffs = []
    if media_type(real) != media_type(fake):
        diffs.append(f"content-type {media_type(real)!r} recorded, {media_type(fake)!r}")
    if isinstance(a["body"], str) and isinstance(b["body"], str):
        return diffs + (stream_diff(a["body"], b["body"]) if a["status"] < 300 else [])
    diffs += shape_diff(a["body"], b["body"], "body", loose=loose)
    if not timing_filtered(real):
        diffs += page_diff(a["body"], b["body"])
    if a["status"] >= 400 and not diffs and masked(a["body"]) != masked(b["body"]):
        diffs.append(f"error {masked(a['body'])!r} recorded, {masked(b['body'])!r} from the fake")
    return diffs


def fixtures(version: str) -> dict[str, dict[str, Any]]:
    files = sorted((FIXTURES / version).glob("*.json"))
    return {path.stem: json.loads(path.read_text()) for path in files}


def report(version: str) -> tuple[int, dict[str, list[str]]]:
    recorded = fixtures(version)
    replayed = {e["meta"]["scenario"]: e for e in replay(version)}
    found: dict[str, list[str]] = {}
    for name in sorted(set(recorded) | set(replayed)):
        if name not in replayed:
            found[name] = ["not replayed"]
        elif name not in recorded:
            if version in REFERENCE:
                found[name] = ["no recording"]
        else:
            diffs = differences(recorded[name], replayed[name])
            if diffs:
                found[name] = diffs
    return len(recorded), found


def test_the_reference_versions_are_recorded() -> None:
    assert {"2.10.5", "3.3.2"} <= set(VERSIONS)


@pytest.mark.parametrize("version", VERSIONS)
def test_fake_matches_recordings(version: str) -> None:
    compared, found = report(version)
    lines = [f"contract {version}: {compared} fixtures compared, {len(found)} differ"]
    lines += [f"  {name}: {'; '.join(diffs)}" for name, diffs in found.items()]
    print("\n".join(lines))
    assert compared > 50
    assert not found, "\n".join(lines)


def replay_one(version: str, recorded: dict[str, Any]) -> dict[str, Any]:
    """Send one recorded request to a fake of `version` holding the run it names (and
    enough others to fill a page)."""
    fake = FakeAirflow(version)
    for i in range(6):
        fake.add_run("bridge_plain", f"seeded-{i}", state="success")
    request = recorded["request"]
    parts = request["path"].split("/")
    if "dagRuns" in parts:
        dag_id = parts[parts.index("dags") + 1]
        after = parts[parts.index("dagRuns") + 1 :]
        dag_id = dag_id if dag_id != "~" else "bridge_plain"
        if after and after[0] != "list":
            fake.add_run(dag_id, unquote(after[0]), state="success")
    with httpx.Client(
        base_url=fake.base_url, transport=fake.transport(), auth=("admin", "admin")
    ) as http:
        answer = http.request(
            request["method"],
            request["path"],
            params=request["query"] or None,
            json=request["body"],
        )
    body: Any = answer.text or None
    if body and "json" in answer.headers.get("content-type", ""):
        body = answer.json()
    return {
        "response": {"status": answer.status_code, "headers": dict(answer.headers), "body": body}
    }


@pytest.mark.parametrize("version", DERIVED)
def test_old_releases_match_their_derived_fixtures(version: str) -> None:
    found = {}
    recorded = fixtures(version)
    for name, exchange in recorded.items():
        # derived values (a null git_version, say) are guesses: only non-null types count
        diffs = differences(exchange, replay_one(version, exchange), loose=True)
        if diffs:
            found[name] = diffs
    print(f"derived {version}: {len(recorded)} fixtures compared, {len(found)} differ")
    assert not found, found
