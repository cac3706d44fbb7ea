"""Argument errors from the compat layers name the argument the caller wrote (the official
client's name: execution_date_gte, state, dag_run_id, page_limit, ...), not the facade's name
it was translated to, and are raised before anything is sent."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from airflow_bridge.compat import v1, v2
from airflow_bridge.compat.v1.api.dag_run_api import DAGRunApi
from airflow_bridge.compat.v1.model.dag_run import DAGRun
from airflow_bridge.compat.v1.model.list_dag_runs_form import ListDagRunsForm
from airflow_bridge.compat.v2 import DagRunApi, DAGRunsBatchBody, TriggerDAGRunPostBody
from airflow_bridge.testing import FakeAirflow

NAIVE = datetime(2022, 9, 1)
AWARE = datetime(2022, 9, 1, tzinfo=timezone.utc)

V1_CALLS: list[tuple[Callable[[Any], Any], str, str]] = [
    (
        lambda api: api.get_dag_runs("d", execution_date_gte=NAIVE),
        r"^execution_date_gte is a naive datetime.* execution_date_gte=datetime",
        "logical_date",
    ),
    (
        lambda api: api.get_dag_runs("d", execution_date_lte="2022-09-01"),
        r"^execution_date_lte must be a timezone-aware",
        "logical_date",
    ),
    (lambda api: api.get_dag_runs("d", state=["bogus"]), r"^state: 'bogus' is not one", "states"),
    (
        lambda api: api.get_dag_runs("d", order_by="bogus"),
        r"dag_id, dag_run_id, execution_date",
        "logical_date",
    ),
    (
        lambda api: api.get_dag_runs_batch(ListDagRunsForm(execution_date_gte=NAIVE)),
        r"^execution_date_gte is a naive",
        "logical_date",
    ),
    (
        lambda api: api.get_dag_runs_batch(ListDagRunsForm(page_limit=-1)),
        r"^page_offset and page_limit must be >= 0",
        "offset and limit",
    ),
    (
        lambda api: api.post_dag_run("d", DAGRun(execution_date=NAIVE)),
        r"^execution_date is a naive.* execution_date=datetime",
        "logical_date",
    ),
    (
        lambda api: api.post_dag_run("d", DAGRun(dag_run_id="", execution_date=AWARE)),
        r"^dag_run_id is empty: pass dag_run_id=None",
        " run_id",
    ),
    (
        lambda api: api.post_dag_run(
            "d", DAGRun(execution_date=AWARE, data_interval_start=NAIVE, data_interval_end=AWARE)
        ),
        r"^data_interval_start is a naive",
        "data_interval ",
    ),
    (lambda api: api.get_dag_run("d", ""), r"dag_run_id must be a non-empty string", " run_id"),
]

V2_CALLS: list[tuple[Callable[[Any], Any], str, str]] = [
    (lambda api: api.get_dag_runs("d", state=["bogus"]), r"^state: 'bogus' is not one", "states"),
    (
        lambda api: api.get_dag_runs("d", run_type=["bogus"]),
        r"^run_type: 'bogus' is not one",
        "run_types",
    ),
    (
        lambda api: api.get_dag_runs("d", logical_date_gte=NAIVE),
        r"^logical_date_gte is a naive",
        "execution_date",
    ),
    (
        lambda api: api.get_list_dag_runs_batch("~", DAGRunsBatchBody(page_offset=-1)),
        r"^page_offset and page_limit must be >= 0",
        "offset and limit",
    ),
    (
        lambda api: api.trigger_dag_run(
            "d", TriggerDAGRunPostBody(dag_run_id="", logical_date=AWARE)
        ),
        r"^dag_run_id is empty: pass dag_run_id=None",
        " run_id",
    ),
    (lambda api: api.delete_dag_run("d", ""), r"dag_run_id must be a non-empty string", " run_id"),
]


def api_client(fake: FakeAirflow, module: Any) -> Any:
    configuration = module.Configuration(host=fake.base_url, username="admin", password="admin")
    configuration.transport = fake.transport()
    return module.ApiClient(configuration)


@pytest.mark.parametrize("version", ["2.10.5", "3.3.2"])
@pytest.mark.parametrize(
    ("layer", "call", "message", "not_in"),
    [(v1, *case) for case in V1_CALLS] + [(v2, *case) for case in V2_CALLS],
)
def test_argument_errors_name_the_callers_argument(
    version: str, layer: Any, call: Callable[[Any], Any], message: str, not_in: str
) -> None:
    fake = FakeAirflow(version)
    api_class = DAGRunApi if layer is v1 else DagRunApi
    with api_client(fake, layer) as client, pytest.raises((TypeError, ValueError)) as caught:
        call(api_class(client))
    assert caught.type.__name__ in {"ApiTypeError", "ApiValueError"}
    text = str(caught.value)
    assert re.search(message, text), text
    assert not_in not in text, text
    assert [r for r in fake.requests if "/dagRuns" in str(r)] == []


def test_the_callers_own_values_are_quoted_unchanged() -> None:
    """Only argument names are renamed: a value the caller passed (quoted, as `!r` shows it)
    keeps every word, even one that is also an argument name."""
    fake = FakeAirflow("3.3.2")
    with api_client(fake, v2) as client, pytest.raises(TypeError) as caught:
        DagRunApi(client).get_dag_run("bridge_plain", "old run_id/x")
    assert str(caught.value).startswith("dag_run_id 'old run_id/x' contains '/'")
