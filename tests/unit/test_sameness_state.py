"""Issue 9, items 3, 5, 6, 8 and 12: the same call, the same outcome and the same server state
on Airflow 2 and Airflow 3.

- notes: at most 1000 characters and a str, refused before anything is sent; on Airflow 2's
  two-call update a later refusal says what was applied (PartialUpdate);
- an empty note reads as None on both generations, wherever a run is read;
- a date bound never matches a run whose date is null (Airflow 3's GET list lets such runs
  through start/end date bounds): list, iter and count agree;
- a dry-run clear reports map_index -1 for unmapped tasks on both generations;
- a walk never yields a run twice; Airflow 3.2.2+ is walked by keyset cursor.

Each behaviour runs against `FakeAirflow` of 2.10.5 and 3.3.2 (the `fake_airflow` fixture)
and, where the fake's answer is not what the test needs to pin, against a transport that
answers what the live servers answered (bodies as recorded in fixtures/).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from mockserver import MockServer, problem, v1_run, v1_server, v2_run, v2_server

from airflow_bridge import AsyncClient, Client
from airflow_bridge.errors import ApiError, BadRequest, InvalidArgument, PartialUpdate, ServerError
from airflow_bridge.testing import FakeAirflow

UTC = timezone.utc
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PLAIN = "bridge_plain"
V1_RUNS, V2_RUNS = "/api/v1/dags/etl/dagRuns", "/api/v2/dags/etl/dagRuns"
PAST, FUTURE = datetime(2000, 1, 1, tzinfo=UTC), datetime(2098, 1, 1, tzinfo=UTC)


def on_fake(fake: FakeAirflow) -> Client:
    return Client(fake.base_url, username="admin", password="admin", transport=fake.transport())


def scripted(server: MockServer, **kw: Any) -> Client:
    return Client(
        "http://airflow:8080", username="admin", password="pw", transport=server.transport(), **kw
    )


def silent() -> MockServer:
    """A server that must not be asked anything, not even its version."""
    return MockServer({})


# -- 3. notes: one limit, checked before sending; a half-done update says so -------------


@pytest.mark.parametrize("call", ["update", "set_note", "trigger"])
@pytest.mark.parametrize("bad", ["x" * 1001, 5, b"bytes"])
def test_a_note_no_server_takes_is_refused_before_anything_is_sent(call: str, bad: Any) -> None:
    server = silent()
    runs = scripted(server).dag_runs
    with pytest.raises(InvalidArgument, match="note"):
        if call == "update":
            runs.update("etl", "r1", state="failed", note=bad)
        elif call == "set_note":
            runs.set_note("etl", "r1", bad)
        else:
            runs.trigger("etl", note=bad)
    assert server.requests == []


def test_a_failed_update_with_a_long_note_changes_nothing(fake_airflow: FakeAirflow) -> None:
    runs = on_fake(fake_airflow).dag_runs
    run = runs.trigger(PLAIN)
    with pytest.raises(InvalidArgument, match="1001 characters long; Airflow keeps at most 1000"):
        runs.update(PLAIN, run.run_id, state="failed", note="x" * 1001)
    after = runs.get(PLAIN, run.run_id)
    assert (after.state, after.note) == ("queued", None)


def test_a_note_of_exactly_1000_characters_is_kept(fake_airflow: FakeAirflow) -> None:
    runs = on_fake(fake_airflow).dag_runs
    run = runs.trigger(PLAIN)
    updated = runs.update(PLAIN, run.run_id, state="failed", note="y" * 1000)
    assert (updated.state, updated.note) == ("failed", "y" * 1000)
    assert runs.get(PLAIN, run.run_id).note == "y" * 1000


def v1_two_calls(note_answer: httpx.Response) -> MockServer:
    return v1_server(
        {
            ("PATCH", f"{V1_RUNS}/r1"): (200, v1_run(state="failed")),
            ("PATCH", f"{V1_RUNS}/r1/setNote"): note_answer,
        }
    )


@pytest.mark.parametrize(
    ("answer", "cause"),
    [(problem(403, "Access is denied", "Forbidden"), ApiError), (problem(500, None), ServerError)],
)
def test_airflow_2_note_refused_after_the_state_was_set_says_what_was_applied(
    answer: httpx.Response, cause: type[ApiError]
) -> None:
    server = v1_two_calls(answer)
    with pytest.raises(PartialUpdate) as caught:
        scripted(server).dag_runs.update("etl", "r1", state="failed", note="why")
    error = caught.value
    assert error.applied == {"state": "failed"}
    assert error.not_applied == ("note",)
    assert error.run.state == "failed"
    assert isinstance(error.error, cause)
    assert isinstance(error, ApiError) and error.status == answer.status_code
    assert "state='failed' was applied, but note was not" in str(error)
    assert [(r.method, r.url.path) for r in server.sent()] == [
        ("PATCH", f"{V1_RUNS}/r1"),
        ("PATCH", f"{V1_RUNS}/r1/setNote"),
    ]


def test_airflow_2_sends_the_state_first_and_nothing_more_when_it_is_refused() -> None:
    server = v1_server({("PATCH", f"{V1_RUNS}/r1"): problem(400, "Invalid state", "Bad Request")})
    with pytest.raises(BadRequest) as caught:
        scripted(server).dag_runs.update("etl", "r1", state="failed", note="why")
    assert not isinstance(caught.value, PartialUpdate)
    assert [r.url.path for r in server.sent()] == [f"{V1_RUNS}/r1"]


def test_airflow_3_updates_in_one_call_so_a_refusal_is_never_partial() -> None:
    detail = {"detail": [{"type": "string_too_long", "loc": ["body", "note"]}]}
    server = v2_server({("PATCH", f"{V2_RUNS}/r1"): (422, detail)})
    with pytest.raises(BadRequest) as caught:
        scripted(server).dag_runs.update("etl", "r1", state="failed", note="why")
    assert not isinstance(caught.value, PartialUpdate)
    assert len(server.sent("PATCH")) == 1


# -- 5. an empty note reads as None everywhere -----------------------------------------


def test_an_empty_note_reads_back_as_none_from_every_call(fake_airflow: FakeAirflow) -> None:
    runs = on_fake(fake_airflow).dag_runs
    run = runs.trigger(PLAIN, note="first")
    assert run.note == "first"
    assert runs.set_note(PLAIN, run.run_id, "").note is None
    assert runs.get(PLAIN, run.run_id).note is None
    assert [r.note for r in runs.list(PLAIN)] == [None]
    assert runs.update(PLAIN, run.run_id, state="failed", note="").note is None
    assert runs.trigger(PLAIN, note="").note is None


@pytest.mark.parametrize(
    ("server", "run"),
    [(v1_server, v1_run), (v2_server, v2_run)],
    ids=["airflow-2", "airflow-3"],
)
def test_a_recorded_empty_note_is_none_on_get_list_and_update(
    server: Callable[[dict[Any, Any]], MockServer], run: Callable[..., dict[str, Any]]
) -> None:
    # Airflow 2.10.5 answers a note set to "" with "", Airflow 3.3.2 with null (seen live).
    empty = "" if server is v1_server else None
    runs_path = V1_RUNS if server is v1_server else V2_RUNS
    routes = {
        ("GET", f"{runs_path}/r1"): (200, run(note=empty)),
        ("GET", runs_path): (200, {"dag_runs": [run(note=empty)], "total_entries": 1}),
        ("PATCH", f"{runs_path}/r1"): (200, run(note=empty)),
        ("PATCH", f"{runs_path}/r1/setNote"): (200, run(note=empty)),
    }
    runs = scripted(server(routes)).dag_runs
    assert runs.get("etl", "r1").note is None
    assert runs.list("etl")[0].note is None
    assert runs.set_note("etl", "r1", "").note is None


# -- 6. a bound on a date never matches a run without that date --------------------------


def null_start_run(fake: FakeAirflow) -> str:
    """A run marked success before it started: no start_date, an end_date (as on live
    servers when the state is set while the run is still queued)."""
    runs = on_fake(fake).dag_runs
    run = runs.trigger(PLAIN)
    done = runs.set_state(PLAIN, run.run_id, "success")
    assert done.start_date is None and done.end_date is not None
    return run.run_id


@pytest.mark.parametrize(
    ("bound", "value"),
    [
        ("start_date_gte", PAST),
        ("start_date_lte", FUTURE),
        ("end_date_gte", PAST),
        ("end_date_lte", FUTURE),
    ],
)
def test_list_iter_and_count_agree_that_a_null_date_matches_no_bound(
    fake_airflow: FakeAirflow, bound: str, value: datetime
) -> None:
    runs = on_fake(fake_airflow).dag_runs
    unstarted = null_start_run(fake_airflow)
    started = runs.trigger(PLAIN).run_id
    fake_airflow.advance(started, to="running")
    field = bound[:-4]
    bounds: Any = {bound: value}
    listed = runs.list(PLAIN, **bounds)
    expected = {
        r.run_id
        for r in (runs.get(PLAIN, unstarted), runs.get(PLAIN, started))
        if getattr(r, field) is not None
    }
    assert {r.run_id for r in listed} == expected
    assert {r.run_id for r in runs.iter(PLAIN, page_size=1, **bounds)} == expected
    assert runs.count(PLAIN, **bounds) == len(expected)


def loose_v2(runs: list[dict[str, Any]]) -> MockServer:
    """A 3.3.2 GET list answering start_date_gte as the live 3.3.2 does: the runs without a
    start_date come too (body shape as in fixtures/3.3.2/list_date_filter.json)."""

    def answer(request: httpx.Request) -> httpx.Response:
        limit = int(request.url.params["limit"])
        cursor = request.url.params.get("cursor")
        start = 0 if not cursor else int(cursor)
        chunk = runs[start : start + limit]
        more = start + limit < len(runs)
        return httpx.Response(
            200,
            json={
                "dag_runs": chunk,
                "total_entries": len(runs),
                "total_entries_limit": 50000 if cursor is not None else None,
                "next_cursor": str(start + limit) if cursor is not None and more else None,
                "previous_cursor": None,
            },
        )

    return v2_server({("GET", V2_RUNS): answer})


def test_airflow_3_runs_without_a_start_date_are_dropped_and_count_walks_the_pages() -> None:
    started = "2024-01-01T00:00:05Z"
    bodies = [v2_run(f"r{i}", start_date=None if i % 2 else started) for i in range(5)]
    server = loose_v2(bodies)
    runs = scripted(server).dag_runs
    assert [r.run_id for r in runs.list("etl", start_date_gte=PAST, page_size=2)] == [
        "r0",
        "r2",
        "r4",
    ]
    assert [r.run_id for r in runs.list("etl", start_date_gte=PAST, limit=2)] == ["r0", "r2"]
    server.requests.clear()
    assert runs.count("etl", start_date_gte=PAST) == 3
    assert [r.url.params["limit"] for r in server.sent("GET")] == ["100"]


def test_count_trusts_total_entries_where_the_server_is_exact() -> None:
    server = loose_v2([v2_run("r0", start_date=None)])  # total_entries: 1
    runs = scripted(server).dag_runs
    assert runs.count("etl", logical_date_gte=PAST) == 1  # logical_date bounds are exact
    assert [r.url.params["limit"] for r in server.sent("GET")] == ["1"]


# -- 8. a dry-run clear: map_index -1 for unmapped tasks, on both ------------------------


def recorded(version: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / version / f"{name}.json").read_text())
    return data


@pytest.mark.parametrize("version", ["2.10.5", "3.3.2"])
def test_recorded_dry_run_clears_report_map_index_minus_one(version: str) -> None:
    body = recorded(version, "clear_dry_run")["response"]["body"]
    make = v1_server if version.startswith("2.") else v2_server
    prefix = "/api/v1" if version.startswith("2.") else "/api/v2"
    path = f"{prefix}/dags/bridge_plain/dagRuns/r1/clear"
    result = scripted(make({("POST", path): (200, body)})).dag_runs.clear(PLAIN, "r1")
    assert [(ti.task_id, ti.map_index) for ti in result.task_instances] == [
        ("first", -1),
        ("second", -1),
    ]
    states = {ti.state for ti in result.task_instances}
    # Airflow 2's references carry no state; Airflow 3 says each instance's.
    assert states == {None} if version.startswith("2.") else None not in states


def test_airflow_2_mapped_instances_keep_an_unknown_map_index() -> None:
    ref = {"dag_id": PLAIN, "dag_run_id": "r1", "execution_date": "2024-01-01T00:00:00+00:00"}
    body = {
        "task_instances": [
            {**ref, "task_id": "plain"},
            {**ref, "task_id": "mapped"},
            {**ref, "task_id": "mapped"},
        ]
    }
    path = "/api/v1/dags/bridge_plain/dagRuns/r1/clear"
    result = scripted(v1_server({("POST", path): (200, body)})).dag_runs.clear(PLAIN, "r1")
    assert [ti.map_index for ti in result.task_instances] == [-1, None, None]


def test_a_dry_run_clear_reports_unmapped_tasks_alike(fake_airflow: FakeAirflow) -> None:
    runs = on_fake(fake_airflow).dag_runs
    run = runs.trigger(PLAIN, logical_date=datetime(2024, 3, 1, tzinfo=UTC))
    fake_airflow.advance(run.run_id, to="success")
    result = runs.clear(PLAIN, run.run_id)
    assert {ti.map_index for ti in result.task_instances} == {-1}


# -- 12. a walk never yields a run twice; keyset pages where the server has them -----------


def test_a_newest_first_walk_with_runs_created_meanwhile_yields_each_run_once(
    fake_airflow: FakeAirflow,
) -> None:
    runs = on_fake(fake_airflow).dag_runs
    day = datetime(2024, 5, 1, tzinfo=UTC)
    before = [runs.trigger(PLAIN, logical_date=day + timedelta(hours=h)).run_id for h in range(7)]
    walk: Iterator[Any] = runs.iter(PLAIN, page_size=2, order_by="-logical_date")
    seen = [next(walk).run_id, next(walk).run_id]
    for h in (10, 11):  # newer than every run: they shift an offset walk by two
        runs.trigger(PLAIN, logical_date=day + timedelta(hours=h))
    seen += [run.run_id for run in walk]
    assert len(seen) == len(set(seen))
    assert seen == before[::-1]


def cursor_server(runs: list[dict[str, Any]], version: str = "3.3.2") -> MockServer:
    """A v2 server with keyset pages: next_cursor is the index of the next run."""

    def answer(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        assert ("offset" in params) != ("cursor" in params)
        limit = int(params["limit"])
        start = int(params.get("cursor") or params.get("offset") or 0)
        more = start + limit < len(runs)
        return httpx.Response(
            200,
            json={
                "dag_runs": runs[start : start + limit],
                "total_entries": None if "cursor" in params else len(runs),
                "next_cursor": str(start + limit) if "cursor" in params and more else None,
                "previous_cursor": None,
            },
        )

    return v2_server(
        {
            ("GET", "/api/v2/version"): (200, {"version": version, "git_version": None}),
            ("GET", V2_RUNS): answer,
        }
    )


def test_airflow_3_2_2_and_later_are_walked_by_cursor_with_a_null_total() -> None:
    server = cursor_server([v2_run(f"r{i}") for i in range(5)], version="3.2.2")
    listed = scripted(server).dag_runs.list("etl", page_size=2)
    assert [r.run_id for r in listed] == [f"r{i}" for i in range(5)]
    assert [r.url.params.get("cursor") for r in server.sent("GET")] == ["", "2", "4"]
    assert all("offset" not in r.url.params for r in server.sent("GET"))


def test_older_airflow_3_and_airflow_2_are_walked_by_offset() -> None:
    server = cursor_server([v2_run(f"r{i}") for i in range(5)], version="3.2.1")
    assert len(scripted(server).dag_runs.list("etl", page_size=2)) == 5
    assert [r.url.params["offset"] for r in server.sent("GET")] == ["0", "2", "4"]


@pytest.mark.parametrize(
    ("version", "order_by", "by_cursor"),
    [
        ("3.3.0", "-logical_date", False),
        ("3.3.1", "-logical_date", True),
        ("3.2.2", "run_id", True),
    ],
)
def test_a_nullable_sort_field_uses_a_cursor_only_where_nulls_page_correctly(
    version: str, order_by: str, by_cursor: bool
) -> None:
    server = cursor_server([v2_run(f"r{i}") for i in range(3)], version=version)
    scripted(server).dag_runs.list("etl", page_size=2, order_by=order_by)
    assert ("cursor" in server.sent("GET")[0].url.params) is by_cursor


def test_a_server_that_ignores_the_cursor_is_walked_by_offset() -> None:
    # api="v2" skips detection: a server of unknown version is taken as the newest, so the
    # first request asks for a keyset page. An older server answers an offset page (no
    # next_cursor key), and the walk goes on by offset.
    runs = [v2_run(f"r{i}") for i in range(5)]

    def answer(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("offset", 0))
        limit = int(request.url.params["limit"])
        return httpx.Response(
            200, json={"dag_runs": runs[start : start + limit], "total_entries": len(runs)}
        )

    server = v2_server({("GET", V2_RUNS): answer})
    listed = scripted(server, api="v2").dag_runs.list("etl", page_size=2)
    assert [r.run_id for r in listed] == [f"r{i}" for i in range(5)]
    assert [r.url.params.get("offset") for r in server.sent("GET")] == [None, "2", "4"]


def test_an_offset_walk_drops_a_run_it_already_yielded() -> None:
    # Two runs created between the first and second page push r1 back onto page two.
    pages = {"0": ["r3", "r2"], "2": ["r2", "r1"], "4": ["r0"]}

    def answer(request: httpx.Request) -> httpx.Response:
        ids = pages[request.url.params["offset"]]
        return httpx.Response(200, json={"dag_runs": [v1_run(i) for i in ids], "total_entries": 5})

    server = v1_server({("GET", V1_RUNS): answer})
    listed = scripted(server).dag_runs.list("etl", page_size=2, order_by="-logical_date")
    assert [r.run_id for r in listed] == ["r3", "r2", "r1", "r0"]


def test_dag_ids_use_the_batch_list_which_has_no_cursor() -> None:
    body = {"dag_runs": [v2_run("r0")], "total_entries": 1, "next_cursor": None}
    server = v2_server({("POST", "/api/v2/dags/~/dagRuns/list"): (200, body)})
    assert len(scripted(server).dag_runs.list(dag_ids=["etl"])) == 1
    (request,) = [r for r in server.sent("POST") if r.url.path.endswith("/list")]
    sent = json.loads(request.content)
    assert "cursor" not in sent and sent["page_offset"] == 0


def test_cli_runs_list_since_leaves_out_runs_that_never_started(
    fake_airflow: FakeAirflow, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from airflow_bridge.cli import cli

    null_start_run(fake_airflow)
    started = on_fake(fake_airflow).dag_runs.trigger(PLAIN).run_id
    fake_airflow.advance(started, to="running")
    fleet = tmp_path / "fleet.toml"
    with fake_airflow.serve() as server:
        fleet.write_text(
            f'[servers.one]\nurl = "{server.url}"\nusername = "admin"\npassword_env = "PW"\n'
        )
        args = ["--fleet", str(fleet), "-o", "json", "runs", "list", "--since", "2000-01-01"]
        result = CliRunner().invoke(cli, args, env={"PW": "admin"})
    assert result.exit_code == 0, result.output
    assert [run["run_id"] for run in json.loads(result.stdout)] == [started]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_async_client_walks_by_cursor_and_reports_a_partial_update_alike() -> None:
    server = cursor_server([v2_run(f"r{i}") for i in range(5)])
    async with AsyncClient(
        "http://airflow:8080", username="admin", password="pw", transport=server.async_transport()
    ) as client:
        listed = [run.run_id async for run in client.dag_runs.iter("etl", page_size=2)]
    assert listed == [f"r{i}" for i in range(5)]
    assert [r.url.params.get("cursor") for r in server.sent("GET")] == ["", "2", "4"]
    v1 = v1_two_calls(problem(403, "Access is denied", "Forbidden"))
    async with AsyncClient(
        "http://airflow:8080", username="admin", password="pw", transport=v1.async_transport()
    ) as client:
        with pytest.raises(PartialUpdate) as caught:
            await client.dag_runs.update("etl", "r1", state="failed", note="why")
    assert caught.value.applied == {"state": "failed"}
