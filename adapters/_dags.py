"""DAGs on both generations: the requests of `client.dags` and the `Dag` model's wire names.

Pure translation like the rest of the adapters. What differs is declared in `DAG_FIELDS`
(wire names, seen on 2.10.5 and 3.3.2) and in the capability tables of v1.py and v2.py; the
paths, the pause PATCH and the list parameters are the same on both. Both list only DAGs
whose file is still there unless told otherwise (2.10.5 `only_active`, 3.3.2 `exclude_stale`,
both true by default), so nothing is sent for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from airflow_bridge.models import Dag

from ._base import Adapter
from ._dates import parse_datetime
from ._http import ApiRequest, Reply

#: Dag field -> wire key, per generation (GET /dags/{id} of 2.10.5 and 3.3.2). `is_stale`
#: is read from Airflow 2's `is_active` (inverted); dates are parsed.
DAG_FIELDS: Mapping[str, Mapping[str, str]] = {
    "v1": {
        "dag_id": "dag_id",
        "is_paused": "is_paused",
        "is_stale": "is_active",
        "tags": "tags",
        "owners": "owners",
        "schedule": "timetable_description",
        "description": "description",
        "fileloc": "fileloc",
        "next_logical_date": "next_dagrun",
        "next_run_after": "next_dagrun_create_after",
        "next_data_interval_start": "next_dagrun_data_interval_start",
        "next_data_interval_end": "next_dagrun_data_interval_end",
        "has_import_errors": "has_import_errors",
    },
    "v2": {
        "dag_id": "dag_id",
        "is_paused": "is_paused",
        "is_stale": "is_stale",
        "tags": "tags",
        "owners": "owners",
        "schedule": "timetable_description",
        "description": "description",
        "fileloc": "fileloc",
        "next_logical_date": "next_dagrun_logical_date",
        "next_run_after": "next_dagrun_run_after",
        "next_data_interval_start": "next_dagrun_data_interval_start",
        "next_data_interval_end": "next_dagrun_data_interval_end",
        "has_import_errors": "has_import_errors",
    },
}
_INVERTED = {"v1": frozenset({"is_stale"}), "v2": frozenset()}
_DATES = frozenset(
    {"next_logical_date", "next_run_after", "next_data_interval_start", "next_data_interval_end"}
)


@attrs.frozen
class DagQuery:
    """The checked filters of a DAG listing (see `_async/dags.py`)."""

    paused: bool | None = None
    tags: tuple[str, ...] = ()
    dag_id_pattern: str | None = None


def get_dag(adapter: Adapter, dag_id: str) -> ApiRequest:
    adapter.require("dags.get")
    return ApiRequest("GET", adapter.path("dags", dag_id))


def list_dags(adapter: Adapter, query: DagQuery, *, offset: int, limit: int) -> ApiRequest:
    """One page of DAGs, refusing a filter this release lacks before sending."""
    adapter.require("dags.list")
    params: list[tuple[str, str]] = [("limit", str(limit)), ("offset", str(offset))]
    if query.paused is not None:
        adapter.require("dags.list.paused")
        params.append(("paused", "true" if query.paused else "false"))
    if query.tags:
        adapter.require("dags.list.tags")
        params += [("tags", tag) for tag in query.tags]
    if query.dag_id_pattern is not None:
        adapter.require("dags.list.dag_id_pattern")
        params.append(("dag_id_pattern", query.dag_id_pattern))
    return ApiRequest("GET", adapter.path("dags"), tuple(params))


def set_paused(adapter: Adapter, dag_id: str, paused: bool) -> ApiRequest:
    """PATCH is_paused with an update_mask: the same request on 2.0+ and 3.x."""
    adapter.require("dags.pause")
    return ApiRequest(
        "PATCH",
        adapter.path("dags", dag_id),
        (("update_mask", "is_paused"),),
        json={"is_paused": paused},
    )


def parse_dag(adapter: Adapter, reply: Reply) -> Dag:
    body = adapter.check(reply).json()
    return adapter._structure(reply, lambda: dag(adapter, body))


def parse_dags(adapter: Adapter, reply: Reply) -> tuple[tuple[Dag, ...], int | None]:
    """A page's DAGs and the server's total across pages."""
    body = adapter.check(reply).json()

    def page() -> tuple[tuple[Dag, ...], int | None]:
        total = body.get("total_entries")
        return tuple(dag(adapter, raw) for raw in body["dags"]), (
            None if total is None else int(total)
        )

    return adapter._structure(reply, page)


def dag(adapter: Adapter, raw: Mapping[str, Any]) -> Dag:
    """A `Dag` from one wire dict; unknown keys go to `extra`."""
    fields = DAG_FIELDS[adapter.api]
    values: dict[str, Any] = {}
    for name, key in fields.items():
        if key not in raw:
            continue
        value = raw[key]
        if name in _INVERTED[adapter.api] and value is not None:
            value = not value
        elif name in _DATES and value is not None:
            value = parse_datetime(value)
        elif name == "tags":
            value = _names(value)
        elif name == "owners":
            value = tuple(value or ())
        values[name] = value
    used = set(fields.values())
    extra = {key: value for key, value in raw.items() if key not in used}
    return Dag(**values, api=adapter.api, server=adapter.server.base_url, extra=extra)


def _names(tags: Sequence[Any] | None) -> tuple[str, ...]:
    """Tag names: both generations send `[{"name": ...}, ...]` (3.x adds the dag_id)."""
    return tuple(tag["name"] if isinstance(tag, Mapping) else str(tag) for tag in tags or ())
