"""A script written for apache-airflow-client 3.x, in the style of its documentation.

It runs as it is with the official 3.x client against Airflow 3, and with the import prefix
`airflow_client.client` replaced by `airflow_bridge.compat.v2` against Airflow 3 and 2.
Settings come from the environment (LEGACY_URL, LEGACY_TOKEN or LEGACY_USERNAME and
LEGACY_PASSWORD, LEGACY_TAG: a unique run-id prefix, LEGACY_MINUTE: minutes after 2024-02-01
where this run's window of logical dates starts). It prints one JSON line of what it saw and
exits 0 only when every check passed. Everything it creates is deleted.
"""

import contextlib
import json
import os
import sys
import time
from datetime import datetime, timedelta, timezone

import airflow_client.client
from airflow_client.client.exceptions import NotFoundException
from airflow_client.client.models.dag_run_clear_body import DAGRunClearBody
from airflow_client.client.models.dag_run_mutable_states import DagRunMutableStates
from airflow_client.client.models.dag_run_patch_body import DAGRunPatchBody
from airflow_client.client.models.dag_run_state import DagRunState
from airflow_client.client.models.dag_runs_batch_body import DAGRunsBatchBody
from airflow_client.client.models.trigger_dag_run_post_body import TriggerDAGRunPostBody
from airflow_client.client.rest import ApiException

DAG = "bridge_plain"
TAG = os.environ["LEGACY_TAG"]
START = datetime(2024, 2, 1, tzinfo=timezone.utc) + timedelta(
    minutes=int(os.environ["LEGACY_MINUTE"])
)
seen = {}

configuration = airflow_client.client.Configuration(host=os.environ["LEGACY_URL"])
if os.environ.get("LEGACY_TOKEN"):
    configuration.access_token = os.environ["LEGACY_TOKEN"]
else:
    configuration.username = os.environ["LEGACY_USERNAME"]
    configuration.password = os.environ["LEGACY_PASSWORD"]

with airflow_client.client.ApiClient(configuration) as api_client:
    api_instance = airflow_client.client.DagRunApi(api_client)
    first, second = f"{TAG}-first", f"{TAG}-second"
    try:
        run = api_instance.trigger_dag_run(
            DAG,
            TriggerDAGRunPostBody(
                dag_run_id=first, logical_date=START, conf={"source": "ported", "n": [1, 2]}
            ),
        )
        assert run.dag_run_id == first, run
        assert run.logical_date == START and run.logical_date.tzinfo is not None
        assert run.conf == {"source": "ported", "n": [1, 2]}
        assert run.run_type.value == "manual"
        assert run.state in (DagRunState.QUEUED, DagRunState.RUNNING, DagRunState.SUCCESS)
        api_instance.trigger_dag_run(
            DAG,
            TriggerDAGRunPostBody(dag_run_id=second, logical_date=START + timedelta(minutes=1)),
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

        noted = api_instance.patch_dag_run(
            DAG, first, DAGRunPatchBody(note="ported note"), update_mask=["note"]
        )
        assert noted.note == "ported note", noted
        failed = api_instance.patch_dag_run(
            DAG, first, DAGRunPatchBody(state=DagRunMutableStates.FAILED), update_mask=["state"]
        )
        assert failed.state == DagRunState.FAILED, failed
        assert api_instance.get_dag_run(DAG, first).note == "ported note"

        window = {"logical_date_gte": START, "logical_date_lte": START + timedelta(minutes=5)}
        listed = api_instance.get_dag_runs(DAG, order_by=["-logical_date"], **window)
        seen["list"] = [r.dag_run_id for r in listed.dag_runs]
        assert seen["list"] == [second, first], seen
        assert listed.total_entries == 2
        paged = api_instance.get_dag_runs(
            DAG, limit=1, offset=1, order_by=["logical_date"], **window
        )
        assert [r.dag_run_id for r in paged.dag_runs] == [second] and paged.total_entries == 2
        failed_only = api_instance.get_dag_runs(DAG, state=["failed"], **window)
        assert [r.dag_run_id for r in failed_only.dag_runs] == [first]

        batch = api_instance.get_list_dag_runs_batch(
            "~", DAGRunsBatchBody(dag_ids=[DAG], order_by="-run_id", page_limit=10, **window)
        )
        seen["batch"] = [r.dag_run_id for r in batch.dag_runs]
        assert seen["batch"] == sorted([first, second], reverse=True), seen

        try:
            cleared = api_instance.clear_dag_run(DAG, first, DAGRunClearBody(dry_run=True))
        except ValueError as e:  # the official 3.3.2 client cannot read 3.3.2's answer
            seen["clear"] = str(e).splitlines()[0][:200]
        else:
            tis = cleared.actual_instance.task_instances
            seen["clear"] = sorted(ti.task_id for ti in tis)
            assert seen["clear"] == ["first", "second"], cleared
            assert {ti.dag_run_id for ti in tis} == {first}

        events = api_instance.get_upstream_asset_events(DAG, first)
        assert events.total_entries == 0 and events.asset_events == []

        try:
            api_instance.get_dag_run(DAG, f"{TAG}-missing")
            raise AssertionError("no 404")
        except NotFoundException as e:
            seen["404"] = e.status
        try:
            api_instance.trigger_dag_run(
                DAG, TriggerDAGRunPostBody(dag_run_id=first, logical_date=START)
            )
            raise AssertionError("no 409")
        except ApiException as e:
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
