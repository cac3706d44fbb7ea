"""Issue 9, items 3, 5, 6, 8 and 12, on the live servers: the same calls give the same
outcome and leave the same state on Airflow 2.10.5 and 3.3.2.

Every run created here has a unique id and a logical date inside a one-hour window of its own
(a random hour of 2025), so listings filtered by that window see only this test's runs; every
run is deleted at the end.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from airflow_bridge import Client, DagRun
from airflow_bridge.errors import Conflict, InvalidArgument, NotFound

pytestmark = pytest.mark.real

UTC = timezone.utc
PLAIN = "bridge_plain"
WINDOW_START = datetime(2025, 1, 1, tzinfo=UTC)  # after the DAGs' start_date: runs get tasks
WINDOW_CHOICES = 6_000  # hours
PAST, FUTURE = datetime(2000, 1, 1, tzinfo=UTC), datetime(2098, 1, 1, tzinfo=UTC)
FINISH_TIMEOUT = 240.0  # Airflow 2's scheduler is slow under load


class Live:
    """A client on one live server, this test's window, and the runs it created."""

    def __init__(self, details: dict[str, Any]) -> None:
        self.version = str(details["version"])
        self.sent: list[httpx.Request] = []
        self.http = httpx.Client(timeout=60.0, event_hooks={"request": [self.sent.append]})
        self.client = Client(
            str(details["base_url"]),
            username=str(details["username"]),
            password=str(details["password"]),
            http_client=self.http,
        )
        self.runs = self.client.dag_runs
        token = uuid.uuid4()
        self.tag = f"same-{token.hex[:10]}"
        self.start = WINDOW_START + timedelta(hours=token.int % WINDOW_CHOICES)
        self.created: list[str] = []

    @property
    def window(self) -> dict[str, datetime]:
        return {
            "logical_date_gte": self.start,
            "logical_date_lte": self.start + timedelta(minutes=59),
        }

    def trigger(self, name: str, minute: int, **kwargs: Any) -> DagRun:
        run_id = f"{self.tag}-{name}"
        self.created.append(run_id)
        at = self.start + timedelta(minutes=minute)
        return self.runs.trigger(PLAIN, run_id=run_id, logical_date=at, **kwargs)

    def cleanup(self) -> None:
        for run_id in self.created:
            for _ in range(5):
                try:
                    if not self.runs.get(PLAIN, run_id).is_finished:
                        self.runs.set_state(PLAIN, run_id, "failed")
                    self.runs.delete(PLAIN, run_id)
                    break
                except NotFound:
                    break
                except Conflict:
                    time.sleep(1.0)
        self.http.close()


@pytest.fixture
def live(live_server: dict[str, Any]) -> Iterator[Live]:
    server = Live(live_server)
    try:
        yield server
    finally:
        server.cleanup()


# -- 3. notes --------------------------------------------------------------------------


def test_a_too_long_note_changes_nothing_and_1000_characters_are_kept(live: Live) -> None:
    run = live.trigger("note", 0)
    before = len(live.sent)
    with pytest.raises(InvalidArgument, match="at most 1000"):
        live.runs.update(PLAIN, run.run_id, state="failed", note="x" * 1001)
    assert len(live.sent) == before  # nothing was sent
    after = live.runs.get(PLAIN, run.run_id)
    assert after.state != "failed" and after.note is None
    updated = live.runs.update(PLAIN, run.run_id, state="failed", note="y" * 1000)
    assert (updated.state, updated.note) == ("failed", "y" * 1000)
    again = live.runs.get(PLAIN, run.run_id)
    assert (again.state, again.note) == ("failed", "y" * 1000)


# -- 5. empty notes ----------------------------------------------------------------------


def test_an_empty_note_reads_back_as_none(live: Live) -> None:
    run = live.trigger("empty-note", 0, note="something")
    assert run.note == "something"
    assert live.runs.set_note(PLAIN, run.run_id, "").note is None
    assert live.runs.get(PLAIN, run.run_id).note is None
    assert [r.note for r in live.runs.list(PLAIN, **live.window)] == [None]
    assert live.trigger("empty-at-trigger", 1, note="").note is None


# -- 6. date bounds and null dates -----------------------------------------------------


def test_list_iter_and_count_agree_that_a_null_date_matches_no_bound(live: Live) -> None:
    # Marked success while still queued: never started (start_date null), ended.
    unstarted = live.trigger("unstarted", 0)
    unstarted = live.runs.set_state(PLAIN, unstarted.run_id, "success")
    assert unstarted.start_date is None and unstarted.end_date is not None
    finished = live.runs.wait(
        PLAIN, live.trigger("finished", 1).run_id, timeout=FINISH_TIMEOUT, interval=1
    )
    assert finished.start_date is not None and finished.end_date is not None
    expectations = {
        "start_date_gte": (PAST, {finished.run_id}),
        "start_date_lte": (FUTURE, {finished.run_id}),
        "end_date_gte": (PAST, {unstarted.run_id, finished.run_id}),
        "end_date_lte": (FUTURE, {unstarted.run_id, finished.run_id}),
        "start_date_gte ": (FUTURE, set()),
        "end_date_lte ": (PAST, set()),
    }
    for bound, (value, expected) in expectations.items():
        filters: Any = {**live.window, bound.strip(): value}
        listed = {r.run_id for r in live.runs.list(PLAIN, **filters)}
        walked = {r.run_id for r in live.runs.iter(PLAIN, page_size=1, **filters)}
        counted = live.runs.count(PLAIN, **filters)
        assert (listed, walked, counted) == (expected, expected, len(expected)), bound


# -- 8. dry-run clear ------------------------------------------------------------------


def test_a_dry_run_clear_reports_unmapped_tasks_as_map_index_minus_one(live: Live) -> None:
    run = live.runs.wait(PLAIN, live.trigger("clear", 0).run_id, timeout=FINISH_TIMEOUT, interval=1)
    result = live.runs.clear(PLAIN, run.run_id)
    assert sorted((ti.task_id, ti.map_index) for ti in result.task_instances) == [
        ("first", -1),
        ("second", -1),
    ]
    states = {ti.state for ti in result.task_instances}
    if live.version.startswith("2."):
        assert states == {None}  # Airflow 2's dry run does not say
    else:
        assert None not in states


# -- 12. a walk while runs are created ---------------------------------------------------


def test_a_newest_first_walk_yields_each_run_once_while_runs_are_created(live: Live) -> None:
    before = [live.trigger(f"walk-{m}", m).run_id for m in range(5)]
    walk = live.runs.iter(PLAIN, page_size=2, order_by="-logical_date", **live.window)
    first = len(live.sent)
    seen = [next(walk).run_id, next(walk).run_id]
    live.trigger("walk-new-1", 30)  # newer than all: an offset walk would repeat runs
    live.trigger("walk-new-2", 31)
    seen += [run.run_id for run in walk]
    assert seen == before[::-1]
    pages = [
        r.url.params for r in live.sent[first:] if r.method == "GET" and "limit" in r.url.params
    ]
    if live.version.startswith("2."):  # the two created runs come again on page two
        assert [p.get("offset") for p in pages] == ["0", "2", "4", "6"]
    else:  # 3.3.2 has keyset pages: the created runs shift nothing
        assert [p.get("cursor") for p in pages[:1]] == [""]
        assert all("cursor" in p and "offset" not in p for p in pages)
