"""A legacy script written for apache-airflow-client 2.x, in the style of its documentation.

It runs as it is with the official 2.x client against Airflow 2, and with the import prefix
`airflow_client.client` replaced by `airflow_bridge.compat.v1` against Airflow 2 and 3.
Settings come from the environment (LEGACY_URL, LEGACY_USERNAME, LEGACY_PASSWORD,
LEGACY_TAG: a unique run-id prefix, LEGACY_MINUTE: minutes after 2024-02-01 where this run's
window of logical dates starts). It prints one JSON line of what it saw and exits 0 only when
every check passed. Everything it creates is deleted.
"""

import contextlib
import json
import os
import sys
import time
from datetime import datetime, timedelta, timezone

import airflow_client.client
from airflow_client.client.api import dag_run_api
from airflow_client.client.exceptions import NotFoundException
from airflow_client.client.model.clear_dag_run import ClearDagRun
from airflow_client.client.model.dag_run import DAGRun
from airflow_client.client.model.list_dag_runs_form import ListDagRunsForm
from airflow_client.client.model.set_dag_run_note import SetDagRunNote
from airflow_client.client.model.update_dag_run_state import UpdateDagRunState

DAG = "bridge_plain"
TAG = os.environ["LEGACY_TAG"]
START = datetime(2024, 2, 1, tzinfo=timezone.utc) + timedelta(
    minutes=int(os.environ["LEGACY_MINUTE"])
)
seen = {}

configuration = airflow_client.client.Configuration(
    host=os.environ["LEGACY_URL"] + "/api/v1",
    username=os.environ["LEGACY_USERNAME"],
    password=os.environ["LEGACY_PASSWORD"],
)

with airflow_client.client.ApiClient(configuration) as api_client:
    api_instance = dag_run_api.DAGRunApi(api_client)
    first, second = f"{TAG}-first", f"{TAG}-second"
    try:
        run = api_instance.post_dag_run(
            DAG,
            DAGRun(dag_run_id=first, execution_date=START, conf={"source": "legacy", "n": [1, 2]}),
        )
        assert run.dag_run_id == first, run
        assert run.execution_date == START and run.execution_date.tzinfo is not None
        assert run["conf"] == {"source": "legacy", "n": [1, 2]}
        assert run.external_trigger is True
        assert run.run_type == "manual"
        assert run.state.value in ("queued", "running", "success"), run.state
        api_instance.post_dag_run(
            DAG, DAGRun(dag_run_id=second, logical_date=START + timedelta(minutes=1))
        )

        # Let the scheduler finish the run first: a state set while it starts the run can
        # be overwritten by it (seen on 2.10.5: the PATCH answered "running").
        deadline = time.monotonic() + 240
        while api_instance.get_dag_run(DAG, first).state.value not in ("success", "failed"):
            assert time.monotonic() < deadline, "the run did not finish in 240 s"
            time.sleep(1)

        got = api_instance.get_dag_run(DAG, first)
        assert got.to_dict()["dag_run_id"] == first
        seen["get"] = sorted(got.to_dict())

        noted = api_instance.set_dag_run_note(DAG, first, SetDagRunNote(note="legacy note"))
        assert noted.note == "legacy note", noted
        failed = api_instance.update_dag_run_state(DAG, first, UpdateDagRunState(state="failed"))
        assert failed.state.value == "failed", failed
        assert api_instance.get_dag_run(DAG, first).note == "legacy note"

        window = {
            "execution_date_gte": START,
            "execution_date_lte": START + timedelta(minutes=5),
        }
        listed = api_instance.get_dag_runs(DAG, order_by="-execution_date", **window)
        seen["list"] = [r.dag_run_id for r in listed.dag_runs]
        assert seen["list"] == [second, first], seen
        assert listed.total_entries == 2
        paged = api_instance.get_dag_runs(
            DAG, limit=1, offset=1, order_by="execution_date", **window
        )
        assert [r.dag_run_id for r in paged.dag_runs] == [second] and paged.total_entries == 2
        failed_only = api_instance.get_dag_runs(DAG, state=["failed"], **window)
        assert [r.dag_run_id for r in failed_only.dag_runs] == [first]

        batch = api_instance.get_dag_runs_batch(
            ListDagRunsForm(dag_ids=[DAG], order_by="-dag_run_id", page_limit=10, **window)
        )
        seen["batch"] = [r["dag_run_id"] for r in batch["dag_runs"]]
        assert seen["batch"] == sorted([first, second], reverse=True), seen

        cleared = api_instance.clear_dag_run(DAG, first, ClearDagRun(dry_run=True))
        seen["clear"] = sorted(ti["task_id"] for ti in cleared["task_instances"])
        assert seen["clear"] == ["first", "second"], cleared
        assert {ti["dag_run_id"] for ti in cleared["task_instances"]} == {first}

        events = api_instance.get_upstream_dataset_events(DAG, first)
        assert events.total_entries == 0 and events.dataset_events == []

        try:
            api_instance.get_dag_run(DAG, f"{TAG}-missing")
            raise AssertionError("no 404")
        except NotFoundException as e:
            seen["404"] = e.status
        try:
            api_instance.post_dag_run(DAG, DAGRun(dag_run_id=first))
            raise AssertionError("no 409")
        except airflow_client.client.ApiException as e:
            seen["409"] = e.status
        assert (seen["404"], seen["409"]) == (404, 409), seen
    finally:
        for run_id in (first, second):
            with contextlib.suppress(NotFoundException):
                api_instance.delete_dag_run(DAG, run_id)
    try:
        api_instance.get_dag_run(DAG, first)
        raise AssertionError("deleted run still there")
    except NotFoundException:
        seen["deleted"] = True

json.dump(seen, sys.stdout)
print()
