"""A task try's log in each generation's shape (recorded with `Accept: application/json`).

Airflow 2 (2.10.5) answers `{"content": "[('<host>', '<text>')]", "continuation_token"}`:
the text repr of (host, text) pairs, and a signed token `{"end_of_log": ..., "log_pos": ...}`
that asks for the rest (an empty text once the log ended). A try that did not happen is a
200 whose text says the served log could not be read; try 0 a 200 "Try number 0 is
invalid". Airflow 3 (3.3.2) answers `{"content": [records], "continuation_token": null}`,
records being structlog events (an exception's `error_detail`); a try that did not happen is
a 404. The texts are the fake's own, in the recorded layout; only the shapes are checked
against the recordings.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timezone
from typing import Any

from airflow_bridge.testing._chain import Try
from airflow_bridge.testing._gates import Release
from airflow_bridge.testing._state import Run, TaskInstance
from airflow_bridge.testing._task_instances import HOST

SECRET = b"fake-airflow-log-token"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(payload: dict[str, Any]) -> str:
    """itsdangerous-style `<base64 JSON>.<base64 HMAC>`, as Airflow 2 signs its log tokens."""
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    mac = hmac.new(SECRET, body.encode(), hashlib.sha1).digest()
    return f"{body}.{_b64(mac)}"


def unsign(token: str) -> dict[str, Any] | None:
    body, _, mac = token.partition(".")
    expected = _b64(hmac.new(SECRET, body.encode(), hashlib.sha1).digest())
    if not hmac.compare_digest(mac, expected):
        return None
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return data


def _path(run: Run, ti: TaskInstance, try_number: int) -> str:
    return (
        f"/opt/airflow/logs/dag_id={run.dag_id}/run_id={run.run_id}"
        f"/task_id={ti.task_id}/attempt={try_number}.log"
    )


def _stamp(moment: datetime) -> str:
    text = moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return f"[{text[:-3]}+0000]"


def _find(ti: TaskInstance, try_number: int) -> Try | None:
    return next((t for t in ti.tries if t.number == try_number), None)


def v1_log(run: Run, ti: TaskInstance, try_number: int, token: str | None) -> dict[str, Any]:
    """Airflow 2's JSON log answer for one try."""
    if try_number == 0:
        return _v1_answer("default_host", "Error fetching the logs. Try number 0 is invalid.", {})
    done = _find(ti, try_number)
    host = HOST if ti.tries else ""
    if done is None:
        url = (
            f"http://{host}:8793/log{_path(run, ti, try_number).removeprefix('/opt/airflow/logs')}"
        )
        text = (
            " INFO - ::group::Log message source details\n"
            f"*** Could not read served logs: 404 Client Error: NOT FOUND for url: {url}\n"
            " INFO - ::endgroup::\n"
        )
        return _v1_answer(host, text, {"log_pos": 0})
    lines = [
        " INFO - ::group::Log message source details",
        "*** Found local files:",
        f"***   * {_path(run, ti, try_number)}",
        " INFO - ::endgroup::",
    ]
    if done.error is not None:
        lines += [
            f"{_stamp(done.end)} {{taskinstance.py:3313}} ERROR - Task failed with exception",
            "Traceback (most recent call last):",
            f'  File "/opt/airflow/dags/{run.dag_id}.py", line 1, in {ti.task_id}',
            f"RuntimeError: {done.error}",
            f"{_stamp(done.end)} {{taskinstance.py:1226}} INFO - Marking task as FAILED.",
        ]
    else:
        lines.append(f"{_stamp(done.end)} {{taskinstance.py:352}} INFO - Marking task as SUCCESS.")
    text = "\n".join(lines)
    position = 0
    if token is not None:
        position = int((unsign(token) or {}).get("log_pos", 0))
    return _v1_answer(HOST, text[position:], {"log_pos": len(text)})


def _v1_answer(host: str, text: str, state: dict[str, Any]) -> dict[str, Any]:
    token = sign({"end_of_log": True, **state})
    return {"content": repr([(host, text)]), "continuation_token": token}


def v2_log(
    run: Run, ti: TaskInstance, try_number: int, release: Release
) -> list[dict[str, Any]] | None:
    """Airflow 3's structured records for one try; None: no such try (a 404). Before
    `log_sources_event` the file list is a `sources` key of the group record, before
    `log_ti_context` records do not name their task instance (recorded on 3.1.8), before
    `log_record_location` they have no filename/lineno and try 0 is one error record
    (`log_try_zero_records`; recorded on 3.0.6)."""
    if try_number == 0 and not release.has("log_try_zero_records"):
        return [{"event": "Error fetching the logs. Try number 0 is invalid.", "level": "error"}]
    if try_number == 0 and ti.try_number == 0 and ti.state == "upstream_failed":
        moment = _iso(ti.end_date or run.updated_at)
        return [
            {"timestamp": None, "event": "::group::Log message source details"},
            {"timestamp": None, "event": "::endgroup::"},
            {"timestamp": moment, "event": "Task did not run because upstream task(s) failed."},
        ]
    done = _find(ti, try_number)
    if done is None:
        return None
    group = "::group::Log message source details"
    head: list[dict[str, Any]] = (
        [{"event": group}, {"event": _path(run, ti, try_number)}]
        if release.has("log_sources_event")
        else [{"event": group, "sources": [_path(run, ti, try_number)]}]
    )
    head.append({"event": "::endgroup::"})
    where: dict[str, Any] = {"logger": "task"}
    if release.has("log_record_location"):
        where |= {"filename": "task_runner.py", "lineno": 1676}
    if release.has("log_ti_context"):
        where |= {
            "ti_id": ti.id,
            "map_index": -1,
            "try_number": try_number,
            "dag_id": run.dag_id,
            "task_id": ti.task_id,
            "run_id": run.run_id,
        }
    if done.error is None:
        return [*head, {"timestamp": _iso(done.end), "event": "Task succeeded", "level": "info"}]
    failure = {
        "timestamp": _iso(done.end),
        "event": "Task failed with exception",
        "level": "error",
        **where,
        "error_detail": [
            {
                "exc_type": "RuntimeError",
                "exc_value": done.error,
                "exc_notes": [],
                "syntax_error": None,
                "is_cause": False,
                "frames": [
                    {
                        "filename": f"/opt/airflow/dags/{run.dag_id}.py",
                        "lineno": 1,
                        "name": ti.task_id,
                    }
                ],
                "is_group": False,
                "exceptions": [],
            }
        ],
    }
    return [*head, failure]


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
