"""Airflow 2.0-2.5 (which cannot run here) through their derived fixtures: detection, graceful
refusal before sending, and parsing of answers that lack the later fields."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from airflow_bridge.adapters.matrix import END, START, capability_table

from airflow_bridge import Client
from airflow_bridge.errors import UnsupportedOperation

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.now(timezone.utc)


def recorded_server(version: str) -> tuple[Client, list[httpx.Request]]:
    """A client whose server answers from fixtures/<version>/ by request path."""
    exchanges = [json.loads(p.read_text()) for p in (ROOT / "fixtures" / version).glob("*.json")]
    by_path = {(e["request"]["method"], e["request"]["path"]): e for e in exchanges}
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        exchange = by_path[(request.method, request.url.raw_path.decode().split("?")[0])]
        response: dict[str, Any] = exchange["response"]
        if isinstance(response["body"], str):
            return httpx.Response(response["status"], text=response["body"])
        return httpx.Response(response["status"], json=response["body"])

    client = Client(
        "http://old-airflow",
        username="admin",
        password="admin",
        transport=httpx.MockTransport(answer),
    )
    return client, sent


def run_id(version: str) -> str:
    body = json.loads((ROOT / "fixtures" / version / "get.json").read_text())["response"]["body"]
    return str(body["dag_run_id"])


@pytest.mark.parametrize("version", ["2.0.2", "2.2.5", "2.4.3", "2.5.3"])
def test_old_releases_are_detected_with_their_version(version: str) -> None:
    client, _ = recorded_server(version)
    assert (client.server.api, client.server.version) == ("v1", version)


@pytest.mark.parametrize(
    ("version", "call", "message"),
    [
        (
            "2.0.2",
            lambda r, i: r.clear("bridge_plain", i),
            "clear is not supported by Airflow 2.0.2: it needs Airflow 2.4.0 or newer",
        ),
        (
            "2.0.2",
            lambda r, i: r.set_state("bridge_plain", i, "failed"),
            "set_state is not supported by Airflow 2.0.2: it needs Airflow 2.2.0 or newer",
        ),
        (
            "2.0.2",
            lambda r, i: r.set_note("bridge_plain", i, "n"),
            "set_note is not supported by Airflow 2.0.2: it needs Airflow 2.5.0 or newer",
        ),
        (
            "2.0.2",
            lambda r, i: r.list("bridge_plain", states=["failed"]),
            "states is not supported by Airflow 2.0.2: it needs Airflow 2.3.0 or newer",
        ),
        (
            "2.0.2",
            lambda r, i: r.list("bridge_plain", order_by="-logical_date"),
            "order_by is not supported by Airflow 2.0.2: it needs Airflow 2.1.0 or newer",
        ),
        (
            "2.2.5",
            lambda r, i: r.upstream_events("bridge_plain", i),
            "upstream_events is not supported by Airflow 2.2.5: it needs Airflow 2.4.0 or newer",
        ),
        (
            "2.4.3",
            lambda r, i: r.set_state("bridge_plain", i, "queued"),
            "set_state_queued is not supported by Airflow 2.4.3: it needs Airflow 2.5.0 or newer",
        ),
        (
            "2.4.3",
            lambda r, i: r.trigger("bridge_plain", note="n"),
            "note is not supported by Airflow 2.4.3: it needs Airflow 2.5.0 or newer",
        ),
        (
            "2.5.3",
            lambda r, i: r.list("bridge_plain", updated_at_gte=NOW),
            "updated_at_gte is not supported by Airflow 2.5.3: it needs Airflow 2.6.0 or newer",
        ),
    ],
)
def test_old_releases_refuse_what_they_lack_before_sending(
    version: str, call: Any, message: str
) -> None:
    client, sent = recorded_server(version)
    with pytest.raises(UnsupportedOperation) as caught:
        call(client.dag_runs, run_id(version))
    assert str(caught.value) == message
    assert all(r.url.path.endswith("/version") for r in sent)


def test_airflow_2_0_answers_parse_with_the_later_fields_as_none() -> None:
    client, _ = recorded_server("2.0.2")
    run = client.dag_runs.get("bridge_plain", run_id("2.0.2"))
    assert run.logical_date is not None  # from execution_date
    assert (run.note, run.run_type, run.data_interval_start, run.last_scheduling_decision) == (
        None,
        None,
        None,
        None,
    )
    assert run.extra == {"external_trigger": True}
    listed = client.dag_runs.list("bridge_plain", limit=5)
    assert listed and all(r.note is None for r in listed)


def test_what_old_releases_can_do_works_against_their_answers() -> None:
    client, _ = recorded_server("2.5.3")
    rid = json.loads((ROOT / "fixtures/2.5.3/set_note.json").read_text())["request"]["path"]
    ran = client.dag_runs.set_note("bridge_plain", rid.split("/")[6], "note set")
    assert ran.note == "note set"
    assert client.server.supports("set_note") and not client.server.supports("updated_at_gte")


def test_capability_table_in_the_readme_is_generated_from_the_code() -> None:
    readme = (ROOT / "README.md").read_text()
    embedded = readme.split(START, 1)[1].split(END, 1)[0].strip()
    assert embedded == capability_table(), "run scripts/capability-table"
