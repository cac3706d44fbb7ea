"""Task instances of a run, their logs and clearing them, on both generations.

Pure translation. The paths and bodies are the same on 2.x and 3.x; what differs is the
log answer (seen on 2.10.5 and 3.3.2, both with `Accept: application/json`, which the log
endpoint needs: 2.10.5 answers text/plain without a token otherwise):

- Airflow 2: `{"content": "[('<host>', '<text>')]", "continuation_token": ...}`: the text is
  a Python literal of (host, text) pairs, its lines `[<time>] {<file>:<line>} LEVEL - msg`.
  The token is signed JSON, `{"end_of_log": bool, "log_pos": int}`, readable unsigned.
- Airflow 3: `{"content": [{"timestamp", "event", "level", "filename", "lineno", ...}],
  "continuation_token": null}` once the task has finished.
"""

from __future__ import annotations

import ast
import base64
import binascii
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from airflow_bridge.models import ClearResult, LogChunk, LogRecord, TaskInstance

from ._base import Adapter, _cleared_ti
from ._dates import parse_datetime
from ._http import ApiRequest, Reply

#: TaskInstance field -> wire key; the same on 2.10.5 and 3.3.2 (both say `dag_run_id`).
TI_FIELDS: Mapping[str, str] = {
    "dag_id": "dag_id",
    "run_id": "dag_run_id",
    "task_id": "task_id",
    "map_index": "map_index",
    "state": "state",
    "try_number": "try_number",
    "max_tries": "max_tries",
    "start_date": "start_date",
    "end_date": "end_date",
    "duration": "duration",
    "operator": "operator",
    "hostname": "hostname",
    "queue": "queue",
    "pool": "pool",
    "note": "note",
}
_TI_DATES = frozenset({"start_date", "end_date"})
_JSON = (("Accept", "application/json"),)
# Airflow 2's text log: a record line, and the bare ` INFO - ...` lines of the source group.
_LINE = re.compile(r"\[(?P<ts>[^\]]+)\] \{(?P<src>[^}]*)\} (?P<level>[A-Z]+) - (?P<msg>.*)")
_BARE = re.compile(r"\s*(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL) - (?P<msg>.*)")


def ti_path(adapter: Adapter, dag_id: str, run_id: str, *rest: str) -> str:
    return adapter.run_path(dag_id, run_id, "taskInstances", *rest)


def list_tis(
    adapter: Adapter,
    dag_id: str,
    run_id: str,
    *,
    states: Sequence[str],
    offset: int,
    limit: int,
) -> ApiRequest:
    adapter.require("task_instances.list")
    params = [("limit", str(limit)), ("offset", str(offset))]
    params += [("state", state) for state in states]
    return ApiRequest("GET", ti_path(adapter, dag_id, run_id), tuple(params))


def get_ti(
    adapter: Adapter, dag_id: str, run_id: str, task_id: str, *, map_index: int
) -> ApiRequest:
    """An unmapped instance by its task's path; a mapped one (2.3+) by `/{map_index}`."""
    adapter.require("task_instances.get")
    if map_index == -1:
        return ApiRequest("GET", ti_path(adapter, dag_id, run_id, task_id))
    adapter.require("task_instances.map_index")
    return ApiRequest("GET", ti_path(adapter, dag_id, run_id, task_id, str(map_index)))


def logs(
    adapter: Adapter,
    dag_id: str,
    run_id: str,
    task_id: str,
    *,
    try_number: int,
    map_index: int,
    token: str | None,
) -> ApiRequest:
    """One chunk of a try's log; `token` continues from a previous chunk."""
    adapter.require("task_instances.logs")
    params: list[tuple[str, str]] = []
    if map_index != -1:
        adapter.require("task_instances.map_index")
        params.append(("map_index", str(map_index)))
    if token is not None:
        params.append(("token", token))
    path = ti_path(adapter, dag_id, run_id, task_id, "logs", str(try_number))
    return ApiRequest("GET", path, tuple(params), headers=_JSON)


def clear(
    adapter: Adapter,
    dag_id: str,
    run_id: str,
    *,
    task_ids: Sequence[str] | None,
    only_failed: bool,
    include_downstream: bool,
    reset_dag_run: bool,
    dry_run: bool,
) -> ApiRequest:
    """`POST /dags/{dag_id}/clearTaskInstances` limited to one run (`dag_run_id`, 2.4+)."""
    adapter.require("task_instances.clear")
    body: dict[str, Any] = {
        "dry_run": dry_run,
        "dag_run_id": run_id,
        "only_failed": only_failed,
        "include_downstream": include_downstream,
        "reset_dag_runs": reset_dag_run,
    }
    if task_ids is not None:
        body["task_ids"] = list(task_ids)
    return ApiRequest("POST", adapter.path("dags", dag_id, "clearTaskInstances"), json=body)


# -- replies -----------------------------------------------------------------------------


def parse_ti(adapter: Adapter, reply: Reply) -> TaskInstance:
    body = adapter.check(reply).json()
    return adapter._structure(reply, lambda: task_instance(adapter, body))


def parse_tis(adapter: Adapter, reply: Reply) -> tuple[tuple[TaskInstance, ...], int | None]:
    body = adapter.check(reply).json()

    def page() -> tuple[tuple[TaskInstance, ...], int | None]:
        total = body.get("total_entries")
        tis = tuple(task_instance(adapter, raw) for raw in body["task_instances"])
        return tis, None if total is None else int(total)

    return adapter._structure(reply, page)


def task_instance(adapter: Adapter, raw: Mapping[str, Any]) -> TaskInstance:
    values: dict[str, Any] = {}
    for name, key in TI_FIELDS.items():
        if key in raw:
            value = raw[key]
            if name in _TI_DATES and value is not None:
                value = parse_datetime(value)
            values[name] = value
    if values.get("map_index") is None:
        values["map_index"] = -1
    if values.get("try_number") is None:
        values["try_number"] = 0
    if values.get("note") == "":  # as for runs: "" and null both mean no note
        values["note"] = None
    used = set(TI_FIELDS.values())
    extra = {key: value for key, value in raw.items() if key not in used}
    return TaskInstance(**values, api=adapter.api, server=adapter.server.base_url, extra=extra)


def parse_clear(adapter: Adapter, reply: Reply, *, dry_run: bool) -> ClearResult:
    """Both generations list the instances cleared (2.x as references, 3.x in full)."""
    body = adapter.check(reply).json()

    def cleared() -> ClearResult:
        raws = body["task_instances"]
        listed = Counter((ti["dag_id"], ti["task_id"]) for ti in raws)
        return ClearResult(
            dry_run=dry_run, task_instances=tuple(_cleared_ti(ti, listed) for ti in raws)
        )

    return adapter._structure(reply, cleared)


def parse_logs(adapter: Adapter, reply: Reply) -> LogChunk:
    body = adapter.check(reply).json()

    def chunk() -> LogChunk:
        token = body.get("continuation_token") or None
        content = body["content"]
        if isinstance(content, str):
            records = tuple(text_records(_literal_text(content)))
        else:
            records = tuple(_structured(item) for item in content)
        return LogChunk(records=records, token=token, end_of_log=_end_of_log(token))

    return adapter._structure(reply, chunk)


def _literal_text(content: str) -> str:
    """Airflow 2's content: `str()` of a list of (host, text) pairs; else plain text."""
    try:
        value = ast.literal_eval(content)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return content
    if isinstance(value, list | tuple) and all(
        isinstance(pair, list | tuple) and len(pair) == 2 for pair in value
    ):
        return "".join(str(text) for _host, text in value)
    return content


def text_records(text: str) -> Iterator[LogRecord]:
    """Airflow 2 text lines as records; continuation lines join the record before them."""
    current: dict[str, Any] | None = None
    for line in _lines(text):
        started = _start(line)
        if started is None and current is not None:
            current["message"] += "\n" + line
            continue
        if current is not None:
            yield LogRecord(**current)
        current = started if started is not None else {"message": line}
    if current is not None:
        yield LogRecord(**current)


def _lines(text: str) -> Iterable[str]:
    return (line for line in text.splitlines() if line.strip())


def _start(line: str) -> dict[str, Any] | None:
    match = _LINE.fullmatch(line)
    if match is not None:
        return {
            "message": match["msg"],
            "timestamp": _timestamp(match["ts"]),
            "level": match["level"].lower(),
            "source": match["src"] or None,
        }
    bare = _BARE.fullmatch(line)
    if bare is not None:
        return {"message": bare["msg"], "level": bare["level"].lower()}
    if line.startswith("***"):
        return {"message": line}
    return None


def _timestamp(text: str) -> Any:
    try:
        return parse_datetime(text)
    except (ValueError, OverflowError):
        return None


_RECORD_KEYS = frozenset({"event", "timestamp", "level", "filename", "lineno"})


def _structured(item: Any) -> LogRecord:
    """An Airflow 3 record; the exception (type: value) joins the message."""
    if not isinstance(item, Mapping):
        return LogRecord(message=str(item))
    message = str(item.get("event", ""))
    for error in item.get("error_detail") or ():
        if isinstance(error, Mapping) and error.get("exc_type"):
            message += f"\n{error['exc_type']}: {error.get('exc_value', '')}"
    filename, lineno = item.get("filename"), item.get("lineno")
    source = f"{filename}:{lineno}" if filename and lineno is not None else filename
    stamp = item.get("timestamp")
    level = item.get("level")
    return LogRecord(
        message=message,
        timestamp=None if not stamp else _timestamp(stamp),
        level=None if level is None else str(level).lower(),
        source=source,
        extra={k: v for k, v in item.items() if k not in _RECORD_KEYS},
    )


def _end_of_log(token: str | None) -> bool | None:
    """Whether Airflow 2's signed token says the log ended (None when it does not tell)."""
    if token is None:
        return None
    payload = token.split(".", 1)[0]
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError):
        return None
    value = data.get("end_of_log") if isinstance(data, dict) else None
    return value if isinstance(value, bool) else None
