"""The normalized models of a run's runbook: DAGs, task instances and their log records.

Plain frozen attrs classes like `models.DagRun`: no I/O, no wire names (the adapters'
`_dags` and `_task_instances` modules translate). Fields a server sends without a home here
are kept in `extra`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs


@attrs.frozen(kw_only=True)
class Dag:
    """One DAG, the same shape from Airflow 2 and 3.

    `is_stale` is Airflow 3's name; Airflow 2 reports the opposite as `is_active`, and both
    properties answer on either generation. `schedule` is the server's readable description
    of the timetable (`timetable_description`), `next_run_after` when the scheduler next
    creates a run (Airflow 2: `next_dagrun_create_after`, 3: `next_dagrun_run_after`).
    `tags` are the tag names; `extra` holds every other field the server sent.
    """

    dag_id: str
    is_paused: bool | None = None
    is_stale: bool | None = None
    tags: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    schedule: str | None = None
    description: str | None = None
    fileloc: str | None = None
    next_logical_date: datetime | None = None
    next_run_after: datetime | None = None
    next_data_interval_start: datetime | None = None
    next_data_interval_end: datetime | None = None
    has_import_errors: bool | None = None
    api: str = ""
    server: str = ""
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)

    @property
    def is_active(self) -> bool | None:
        """Airflow 2's name: the DAG file is still there (the opposite of `is_stale`)."""
        return None if self.is_stale is None else not self.is_stale


@attrs.frozen(kw_only=True)
class TaskInstance:
    """One task instance of a run, the same shape from Airflow 2 and 3.

    `map_index` is -1 for a task that is not mapped. `try_number` is the try the instance is
    on or last ran: 0 for one that never ran (an upstream_failed task, seen on 2.10.5 and
    3.3.2), 1 after its first try. `duration` is in seconds as the server reports it.
    """

    dag_id: str
    run_id: str
    task_id: str
    map_index: int = -1
    state: str | None = None
    try_number: int = 0
    max_tries: int | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    duration: float | None = None
    operator: str | None = None
    hostname: str | None = None
    queue: str | None = None
    pool: str | None = None
    note: str | None = None
    api: str = ""
    server: str = ""
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)

    @property
    def elapsed(self) -> timedelta | None:
        """`duration` as a timedelta (None while unknown)."""
        return None if self.duration is None else timedelta(seconds=self.duration)


@attrs.frozen(kw_only=True)
class LogRecord:
    """One record of a task's log, the same shape from Airflow 2 and 3.

    Airflow 3 serves structured records; Airflow 2 serves text, whose lines are parsed here
    into records: a line `[<time>] {<file>:<line>} LEVEL - message` starts one, and the lines
    after it that do not start a record (a traceback) are part of its `message`. `level` is
    lower case ("info", "error"); `source` is "file:line" where the server says it.
    On Airflow 3 the text of an exception (its type and value) is appended to `message`, as
    Airflow 2's traceback text holds it. `extra` keeps the record's other structured fields.
    """

    message: str
    timestamp: datetime | None = None
    level: str | None = None
    source: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen(kw_only=True)
class LogChunk:
    """One answer of a task's log endpoint: its records and where to continue.

    `token` is the continuation token to ask for what comes next (None: the server gave
    none), `end_of_log` whether the server said the log is complete (None: it did not say).
    """

    records: tuple[LogRecord, ...]
    token: str | None = None
    end_of_log: bool | None = None
