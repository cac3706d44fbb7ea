"""The fakes' run-id rule is each server's own: Airflow 2 matches allowed_run_id_pattern with
re2, whose `$` is the end of the text, so a trailing newline fails (a 500 page on 2.10.5);
Airflow 3 uses Python's `re.match`, whose `$` also matches before a final newline, so 3.3.2
takes it. Other control characters fail on both. Seen on live 2.10.5 and 3.3.2;
test_fake_run_id_rule_real.py compares the fakes with them."""

from __future__ import annotations

import pytest
from raw_http import raw_fake, trigger

from airflow_bridge import Client
from airflow_bridge.errors import InvalidRunId
from airflow_bridge.testing import FakeAirflow

# id -> (2.10.5's status, 3.3.2's status)
RUN_IDS = {
    "x-nl\n": (500, 200),
    "x-cr\r": (500, 400),
    "x-tab\t": (500, 400),
    "\nx-lead": (500, 400),
    "x\ny": (500, 400),
    "x-plain": (200, 200),
}


@pytest.mark.parametrize("version", ["2.10.5", "3.3.2"])
def test_each_fake_takes_or_refuses_the_ids_as_its_live_server_did(version: str) -> None:
    fake = FakeAirflow(version)
    column = 0 if fake.api == "v1" else 1
    with raw_fake(fake) as http:
        for day, (run_id, statuses) in enumerate(RUN_IDS.items(), start=1):
            answer = trigger(http, fake.api, run_id, f"2023-07-{day:02d}T00:00:00+00:00")
            assert answer.status_code == statuses[column], repr(run_id)
            created = {run.run_id for run in fake.store.all_runs()}
            assert (run_id in created) == (answer.status_code == 200), repr(run_id)


def test_a_trailing_newline_is_the_500_page_on_2_10_5_and_nothing_is_created() -> None:
    fake = FakeAirflow("2.10.5")
    with raw_fake(fake) as http:
        answer = trigger(http, "v1", "x-nl\n", "2023-07-01T00:00:00+00:00")
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert "<h1> Ooops! </h1>" in answer.text and "Airflow version: 2.10.5" in answer.text
    assert fake.store.all_runs() == []


def test_the_client_sees_invalid_run_id_on_2_and_a_run_on_3() -> None:
    for version in ("2.10.5", "3.3.2"):
        fake = FakeAirflow(version)
        with Client(
            fake.base_url, username="admin", password="admin", transport=fake.transport()
        ) as client:
            if fake.api == "v1":
                with pytest.raises(InvalidRunId):
                    client.dag_runs.trigger("bridge_plain", run_id="x-nl\n")
            else:
                assert client.dag_runs.trigger("bridge_plain", run_id="x-nl\n").run_id == "x-nl\n"
