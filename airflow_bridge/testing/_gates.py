"""The fake's one version-gate mechanism: which release of a generation added what.

`ADDED_IN[api]` maps a feature to the first release that has it (None: no release of that
generation has it). Names are `kind.name`: `route.<operation>` for an endpoint,
`run.<field>`/`dag.<field>`/`task.<field>`/`event.<field>`/`created_run.<field>`/
`dag_version.<field>`/`health.<field>`/`page.<field>` for a response field (dropped before its
release), `list.<param>` for a query parameter, and plain names for behaviour. Features not
listed exist in every release of the generation. The fake keeps its own table: it must not
trust the adapters' knowledge it is there to check.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Version = tuple[int, ...]


ADDED_IN: Mapping[str, Mapping[str, str | None]] = {
    # From the seed client docs, the 2.10 spec and recordings of 2.6.3 to 2.11.2.
    "v1": {
        "list.order_by": "2.1.0",
        **dict.fromkeys(("route.update", "run.logical_date"), "2.2.0"),  # the trigger's date
        "list.state": "2.3.0",
        **dict.fromkeys(("route.clear", "route.upstream_events"), "2.4.0"),
        **dict.fromkeys(("route.set_note", "update_to_queued"), "2.5.0"),
        # the run fields as the project's 2.5 docs show them (fixtures/2.5.3)
        **dict.fromkeys(("run.note", "run.run_type", "run.last_scheduling_decision"), "2.5.0"),
        **dict.fromkeys(("run.data_interval_start", "run.data_interval_end"), "2.5.0"),
        **dict.fromkeys(("list.updated_at_gte", "list.updated_at_lte"), "2.6.0"),
        "health.triggerer": "2.6.2",  # "New in version 2.6.2" (2.10 spec)
        "health.dag_processor": "2.7.0",  # not in 2.6.3's health schema nor its recording
        "pendulum3": "2.8.0",  # the installed pendulum words its TypeError differently
        # a real clearTaskInstances answers the instances it cleared; 2.6 runs its query again
        # after clearing, so only_failed answers [] (recorded on 2.6.3; its endpoint's code)
        "clear_answers_cleared": "2.7.0",
        "trigger_data_interval": "2.9.0",  # readOnly in the schema before (2.6.3-2.8.4)
        # in 2.9.3's recorded DAGs and task instances, not in 2.8.4's
        **dict.fromkeys(("dag.dag_display_name", "dag.max_consecutive_failed_dag_runs"), "2.9.0"),
        **dict.fromkeys(("task.task_display_name", "task.rendered_map_index"), "2.9.0"),
        "task.executor": "2.10.0",  # a task instance's executor: not in 2.9.3's recordings
        # an EmptyOperator task the scheduler marked success counts a try (try_number 1): seen
        # on 2.10.5 and 2.11.2; 2.9.3 shows try_number 0 (recorded and live)
        "empty_task_try": "2.10.0",
        **dict.fromkeys(("empty_note_removes", "success_skips_unstarted"), None),
    },
    # From the 3.0.0 and 3.2.1 specs, the 3.3.2 sources and recordings of 3.0.6 to 3.3.2.
    "v2": {
        "clear_answers_cleared": "3.0.0",  # recorded on 3.0.6 to 3.3.2
        "route.wait": "3.1.0",
        **dict.fromkeys(("run.duration", "run.triggering_user_name"), "3.1.0"),
        **{f"{kind}.dag_display_name": "3.1.0" for kind in ("run", "dag_version", "task")},
        "task.operator_name": "3.1.0",
        # absent from the 3.0.0 spec, in 3.2.1's and 3.3.2's answers; 3.1 not checked live
        "tag.dag_display_name": "3.1.0",
        **dict.fromkeys(("list.run_id_pattern", "list.triggering_user_name_pattern"), "3.1.0"),
        "order_by_several": "3.1.0",
        "validation_repr": "3.1.0",  # the token endpoint's 422 detail is pydantic's repr
        "dag_wording": "3.1.0",  # "The Dag with ID", not "The DAG with dag_id"
        "insert_user_column": "3.1.0",  # in the INSERT statement a duplicate shows
        **dict.fromkeys(("run.partition_key", "event.partition_key"), "3.2.0"),
        **dict.fromkeys(("created_run.partition_key", "list.dag_id_pattern"), "3.2.0"),
        "dag.last_parse_duration": "3.1.0",  # in 3.1.8's recorded DAGs, not in 3.0.6's
        # recorded on 3.1.8, not on 3.0.6: a log record's filename/lineno; try 0's log as the
        # group records and "did not run" (3.0.6: one "Try number 0 is invalid" error record)
        **dict.fromkeys(("log_record_location", "log_try_zero_records"), "3.1.0"),
        "dag.allowed_run_types": "3.2.0",
        "dag.timetable_partitioned": "3.2.0",
        "trigger_dag_wording": "3.2.0",  # "Dag with dag_id", recorded on 3.2.2
        # recorded on 3.2.2 and 3.3.2, not on 3.1.8: log records name their task instance, the
        # log file is a record of its own (not a `sources` key), the 404 of a task instance
        # listing names the dag_id
        **dict.fromkeys(("log_ti_context", "log_sources_event", "missing_run_names_dag"), "3.2.0"),
        "hidden_statement": "3.2.0",  # recorded on 3.2.2 and 3.3.2; 3.1.8 shows the SQL
        # `cursor` on GET dagRuns (apache/airflow#65604, backported to 3.2.2 as #65746); the
        # cursors are in 3.2.2's recordings, not in the 3.2.1 spec
        **dict.fromkeys(("keyset", "page.next_cursor", "page.previous_cursor"), "3.2.2"),
        "keyset_count": "3.3.0",  # total_entries counted up to a cap; null on 3.2.2
        **dict.fromkeys(("page.total_entries_limit", "run.partition_date"), "3.3.0"),
        **dict.fromkeys(("dag.timetable_periodic", "dag.is_backfillable"), "3.3.0"),
        "created_run.triggering": "3.3.0",
        "database_error_handler": "3.3.0",  # a naive date: a JSON 500, plain text before
        "run_id_no_dotdot": "3.3.0",  # seen on 3.3.2
        "empty_note_removes": "3.3.0",  # seen on 3.3.2 (its code); 3.0-3.2 stored ""
        # a run marked success skips its unstarted tasks (2.10.5 marks them success): seen on
        # 3.3.2; 3.0-3.2 not checked against a live server
        "success_skips_unstarted": "3.3.0",
        # a listing's (and a clear's) task instances carry their rendered fields: recorded on
        # 3.3.2; 3.2.2 lists them as {} (its GET of one instance has them)
        "listed_rendered_fields": "3.3.0",
        "keyset_null_placement": "3.3.1",  # NULLs placed as the database sorts them
    },
}


def parse_version(text: str) -> Version:
    return tuple(int(part) for part in text.split("."))


class Release:
    """One release's view of the table: `has(feature)`, `keep(kind, body)`."""

    def __init__(self, api: str, version: str) -> None:
        self.version = version
        self._info = parse_version(version)
        self._gates = ADDED_IN[api]

    def has(self, feature: str) -> bool:
        """Whether this release has the feature; it must be in the table (typos fail loudly)."""
        added = self._gates[feature]
        return added is not None and self._info >= parse_version(added)

    def present(self, kind: str, name: str) -> bool:
        """Whether a field, parameter or route of `kind` exists in this release."""
        return f"{kind}.{name}" not in self._gates or self.has(f"{kind}.{name}")

    def keep(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        """`body` without the fields of `kind` this release predates."""
        return {k: v for k, v in body.items() if self.present(kind, k)}
