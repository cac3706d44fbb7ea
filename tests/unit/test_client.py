"""Facade behaviour over scripted transports: detection, requests sent, paging, errors."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from mockserver import MockServer, html_404, problem, v1_run, v1_server, v2_run, v2_server

from airflow_bridge import AsyncClient, Client, DagRunState, RunType
from airflow_bridge.errors import (
    ApiError,
    AuthenticationError,
    BadRequest,
    Conflict,
    InvalidArgument,
    InvalidResponse,
    NotFound,
    PermissionDenied,
    ServerError,
    TransportError,
    UnsupportedOperation,
    VersionDetectionError,
    WaitTimeout,
)

UTC = timezone.utc
V1_RUNS = "/api/v1/dags/etl/dagRuns"
V2_RUNS = "/api/v2/dags/etl/dagRuns"


def client(server: MockServer, url: str = "http://airflow:8080", **kw: Any) -> Client:
    kw.setdefault("username", "admin")
    kw.setdefault("password", "s3cret-pw")
    return Client(url, transport=server.transport(), **kw)


def page(runs: list[dict[str, Any]], total: int | None = None) -> tuple[int, dict[str, Any]]:
    return 200, {"dag_runs": runs, "total_entries": len(runs) if total is None else total}


# -- detection --------------------------------------------------------------------------


def test_detects_airflow_3_from_the_v2_version_endpoint() -> None:
    server = v2_server({})
    info = client(server).server
    assert (info.api, info.version, info.version_info) == ("v2", "3.3.2", (3, 3, 2))
    assert [r.url.path for r in server.requests] == ["/api/v2/version"]


def test_detects_airflow_2_after_the_v2_probe_answers_404() -> None:
    server = v1_server({})
    assert client(server).server.api == "v1"
    assert [r.url.path for r in server.requests] == ["/api/v2/version", "/api/v1/version"]


def test_detection_happens_once_and_sends_no_credentials() -> None:
    server = v1_server({("GET", f"{V1_RUNS}/r1"): (200, v1_run())})
    c = client(server)
    c.dag_runs.get("etl", "r1")
    c.dag_runs.get("etl", "r1")
    probes = [r for r in server.requests if r.url.path.endswith("/version")]
    assert len(probes) == 2  # v2 then v1, once
    assert all("authorization" not in r.headers for r in probes)


@pytest.mark.parametrize(
    "url",
    [
        "http://airflow:8080/api/v2",
        "http://airflow:8080/api/v2/",
        "http://airflow:8080/api/v1",
        "http://airflow:8080/",
    ],
)
def test_base_url_with_api_suffix_or_slash_is_the_server_root(url: str) -> None:
    server = v2_server({})
    c = client(server, url)
    assert c.base_url == "http://airflow:8080"
    assert c.server.base_url == "http://airflow:8080"


def test_proxy_prefix_is_kept_in_every_path() -> None:
    server = MockServer(
        {
            ("GET", "/airflow/api/v2/version"): (200, {"version": "3.0.6"}),
            ("POST", "/airflow/auth/token"): (201, {"access_token": "t"}),
            ("GET", "/airflow/api/v2/dags/etl/dagRuns/r1"): (200, v2_run()),
        }
    )
    run = client(server, "https://proxy.example/airflow/").dag_runs.get("etl", "r1")
    assert run.run_id == "r1"
    assert server.requests[-1].url.path == "/airflow/api/v2/dags/etl/dagRuns/r1"


def test_explicit_api_skips_detection() -> None:
    server = MockServer({("GET", f"{V1_RUNS}/r1"): (200, v1_run())})
    c = client(server, api="v1")
    assert c.dag_runs.get("etl", "r1").api == "v1"
    assert [r.url.path for r in server.requests] == [f"{V1_RUNS}/r1"]
    assert c.server.version is None


def test_version_detection_error_says_what_each_probe_answered() -> None:
    server = MockServer({})
    with pytest.raises(VersionDetectionError) as caught:
        client(server).server  # noqa: B018
    message = str(caught.value)
    assert "/api/v2/version answered 404" in message
    assert "/api/v1/version answered 404" in message
    assert "api='v1'" in message


def test_v1_version_on_airflow_3_is_not_mistaken_for_airflow_2() -> None:
    server = MockServer(
        {
            ("GET", "/api/v2/version"): html_404(),
            ("GET", "/api/v1/version"): (200, {"version": "3.0.0"}),
        }
    )
    with pytest.raises(VersionDetectionError):
        client(server).server  # noqa: B018


# -- auth -------------------------------------------------------------------------------


def test_credentials_are_basic_auth_on_airflow_2() -> None:
    server = v1_server({("GET", f"{V1_RUNS}/r1"): (200, v1_run())})
    client(server).dag_runs.get("etl", "r1")
    (request,) = server.sent()
    assert request.headers["authorization"].startswith("Basic ")


def test_credentials_become_one_jwt_login_on_airflow_3() -> None:
    server = v2_server({("GET", f"{V2_RUNS}/r1"): (200, v2_run())})
    c = client(server)
    c.dag_runs.get("etl", "r1")
    c.dag_runs.get("etl", "r1")
    logins = server.sent("POST")
    assert len(logins) == 1
    assert json.loads(logins[0].content) == {"username": "admin", "password": "s3cret-pw"}
    gets = server.sent("GET")
    assert all(r.headers["authorization"].startswith("Bearer ey") for r in gets)


def test_a_401_logs_in_again_once_and_retries() -> None:
    answers = iter([401, 200])

    def get(_: httpx.Request) -> httpx.Response:
        status = next(answers)
        return httpx.Response(status, json=v2_run() if status == 200 else {"detail": "expired"})

    server = v2_server({("GET", f"{V2_RUNS}/r1"): get})
    assert client(server).dag_runs.get("etl", "r1").run_id == "r1"
    assert [r.method for r in server.sent()] == ["POST", "GET", "POST", "GET"]


def test_a_second_401_is_an_authentication_error_not_a_loop() -> None:
    server = v2_server({("GET", f"{V2_RUNS}/r1"): (401, {"detail": "Not authenticated"})})
    with pytest.raises(AuthenticationError):
        client(server).dag_runs.get("etl", "r1")
    assert [r.method for r in server.sent()] == ["POST", "GET", "POST", "GET"]


def test_bad_credentials_fail_the_login_without_echoing_the_password() -> None:
    server = v2_server({("POST", "/auth/token"): (401, {"detail": "Invalid credentials"})})
    with pytest.raises(AuthenticationError) as caught:
        client(server).dag_runs.get("etl", "r1")
    assert "Invalid credentials" in str(caught.value)
    assert "s3cret-pw" not in str(caught.value)
    assert "s3cret-pw" not in repr(caught.value)


def test_an_expiring_token_is_renewed_before_use(monkeypatch: pytest.MonkeyPatch) -> None:
    from mockserver import make_jwt

    now = [1_000.0]  # the wall clock (exp without iat) and the monotonic clock alike
    monkeypatch.setattr("airflow_bridge._auth.time.time", lambda: now[0])
    monkeypatch.setattr("airflow_bridge._auth.time.monotonic", lambda: now[0])
    tokens = iter([make_jwt(exp=1_100), make_jwt(exp=2_000)])
    server = v2_server(
        {
            ("POST", "/auth/token"): lambda _: httpx.Response(
                201, json={"access_token": next(tokens)}
            ),
            ("GET", f"{V2_RUNS}/r1"): (200, v2_run()),
        }
    )
    c = client(server)
    c.dag_runs.get("etl", "r1")
    now[0] = 1_065.0  # before exp=1100 minus the 30 s margin: the token is used
    c.dag_runs.get("etl", "r1")
    now[0] = 1_075.0  # within the margin of exp=1100
    c.dag_runs.get("etl", "r1")
    assert [r.method for r in server.sent()] == ["POST", "GET", "GET", "POST", "GET"]


def test_token_and_secrets_never_appear_in_reprs() -> None:
    server = v2_server({})
    c = client(server)
    assert "s3cret-pw" not in repr(c)
    bearer = Client("http://a:1", token="tok-123", transport=server.transport())
    assert "tok-123" not in repr(bearer)


def test_credentials_in_the_url_are_used_and_hidden() -> None:
    server = v1_server({("GET", f"{V1_RUNS}/r1"): (200, v1_run())})
    c = Client("http://bob:pa%3Ass@airflow:8080", transport=server.transport())
    assert c.base_url == "http://airflow:8080"
    c.dag_runs.get("etl", "r1")
    assert httpx.BasicAuth("bob", "pa:ss")._auth_header == server.sent()[0].headers["authorization"]


def test_conflicting_credentials_are_refused() -> None:
    with pytest.raises(ValueError, match="one kind of credentials"):
        Client("http://a:1", username="u", password="p", token="t")
    with pytest.raises(ValueError, match="go together"):
        Client("http://a:1", username="u")


# -- requests ---------------------------------------------------------------------------


def test_v2_trigger_sends_logical_date_null_when_not_given() -> None:
    server = v2_server({("POST", V2_RUNS): (200, v2_run())})
    client(server).dag_runs.trigger("etl")
    body = json.loads(server.sent("POST")[-1].content)
    assert body.pop("dag_run_id").startswith("manual__")  # client-made: safe to resend
    assert body == {"logical_date": None}


def test_v1_trigger_omits_logical_date_when_not_given() -> None:
    server = v1_server({("POST", V1_RUNS): (200, v1_run())})
    client(server).dag_runs.trigger("etl", conf={"x": 1}, note="n")
    body = json.loads(server.sent("POST")[-1].content)
    assert body.pop("dag_run_id").startswith("manual__")  # client-made: safe to resend
    assert body == {"conf": {"x": 1}, "note": "n"}


def test_trigger_sends_aware_dates_as_iso_8601() -> None:
    server = v2_server({("POST", V2_RUNS): (200, v2_run())})
    start = datetime(2024, 1, 1, tzinfo=UTC)
    end = datetime(2024, 1, 2, tzinfo=UTC)
    client(server).dag_runs.trigger("etl", run_id="x", logical_date=end, data_interval=(start, end))
    assert json.loads(server.sent("POST")[-1].content) == {
        "dag_run_id": "x",
        "logical_date": "2024-01-02T00:00:00+00:00",
        "data_interval_start": "2024-01-01T00:00:00+00:00",
        "data_interval_end": "2024-01-02T00:00:00+00:00",
    }


def test_naive_datetimes_are_refused_before_any_request_even_the_probe() -> None:
    server = v2_server({})
    c = client(server)
    with pytest.raises(ValueError, match="logical_date"):
        c.dag_runs.trigger("etl", logical_date=datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="data_interval end"):
        c.dag_runs.trigger(
            "etl", data_interval=(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2))
        )
    with pytest.raises(ValueError, match="start_date_gte"):
        c.dag_runs.list("etl", start_date_gte=datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="end_date_lte"):
        c.dag_runs.iter("etl", end_date_lte=datetime(2024, 1, 1))
    assert server.requests == []


@pytest.mark.parametrize(
    ("dag_id", "run_id", "path"),
    [
        ("etl", "..", f"{V2_RUNS}/%2E%2E"),
        ("etl", ".", f"{V2_RUNS}/%2E"),
        ("..", "dags", "/api/v2/dags/%2E%2E/dagRuns/dags"),
        ("etl", "a%2F..%2F..", f"{V2_RUNS}/a%252F..%252F.."),
    ],
)
def test_dot_segment_ids_stay_in_their_segment(dag_id: str, run_id: str, path: str) -> None:
    server = v2_server({})
    with pytest.raises(NotFound):
        client(server).dag_runs.delete(dag_id, run_id)
    assert [r.url.raw_path.decode() for r in server.sent("DELETE")] == [path]


def test_empty_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        client(v2_server({})).dag_runs.get("etl", "")


def test_update_with_nothing_to_change_is_refused_before_sending() -> None:
    server = v2_server({})
    with pytest.raises(ValueError, match="needs state=, note= or both"):
        client(server).dag_runs.update("etl", "r1")
    assert server.sent() == []


def test_a_token_airflow_3_cannot_verify_is_an_authentication_error() -> None:
    server = v2_server({("GET", f"{V2_RUNS}/r1"): (403, {"detail": "Invalid JWT token"})})
    with pytest.raises(AuthenticationError, match="Invalid JWT token"):
        Client("http://airflow:8080", token="not-a-jwt", transport=server.transport()).dag_runs.get(
            "etl", "r1"
        )


def test_ids_are_percent_encoded_so_they_cannot_leave_their_path_segment() -> None:
    server = v2_server({})
    c = client(server)
    with pytest.raises(NotFound):
        c.dag_runs.get("etl", "..%2F..%2Fversion")
    with pytest.raises(NotFound):
        c.dag_runs.get("etl", "manual__2024-01-01T00:00:00+00:00?x#y")
    paths = [r.url.raw_path.decode() for r in server.sent("GET")]
    assert paths == [
        f"{V2_RUNS}/..%252F..%252Fversion",
        f"{V2_RUNS}/manual__2024-01-01T00%3A00%3A00%2B00%3A00%3Fx%23y",
    ]
    with pytest.raises(InvalidArgument, match="decodes %2F"):  # servers route on decoded paths
        c.dag_runs.get("etl", "../../../version")
    assert len(server.sent("GET")) == 2


def test_v2_update_mask_is_sent_as_repeated_params() -> None:
    server = v2_server({("PATCH", f"{V2_RUNS}/r1"): (200, v2_run(state="failed", note="n"))})
    run = client(server).dag_runs.update("etl", "r1", state=DagRunState.FAILED, note="n")
    (patch,) = server.sent("PATCH")
    assert patch.url.params.get_list("update_mask") == ["state", "note"]
    assert json.loads(patch.content) == {"state": "failed", "note": "n"}
    assert (run.state, run.note) == (DagRunState.FAILED, "n")


def test_v1_update_is_a_state_patch_then_set_note() -> None:
    server = v1_server(
        {
            ("PATCH", f"{V1_RUNS}/r1"): (200, v1_run(state="success")),
            ("PATCH", f"{V1_RUNS}/r1/setNote"): (200, v1_run(state="success", note="n")),
        }
    )
    run = client(server).dag_runs.update("etl", "r1", state="success", note="n")
    assert [(r.url.path, json.loads(r.content)) for r in server.sent("PATCH")] == [
        (f"{V1_RUNS}/r1", {"state": "success"}),
        (f"{V1_RUNS}/r1/setNote", {"note": "n"}),
    ]
    assert (run.state, run.note) == (DagRunState.SUCCESS, "n")


def test_list_filters_translate_to_each_generation() -> None:
    gte = datetime(2024, 1, 1, tzinfo=UTC)
    v1 = v1_server({("GET", V1_RUNS): page([])})
    v1.routes[("GET", "/api/v1/dags/etl")] = (200, {"dag_id": "etl"})
    v2 = v2_server({("GET", V2_RUNS): page([])})
    for server in (v1, v2):
        client(server).dag_runs.list(
            "etl",
            states=["failed", DagRunState.QUEUED],
            logical_date_gte=gte,
            order_by="-logical_date",
        )
    v1_params = v1.sent("GET")[0].url.params
    v2_params = v2.sent("GET")[0].url.params
    assert v1_params.get_list("state") == ["failed", "queued"]
    assert v1_params["execution_date_gte"] == "2024-01-01T00:00:00+00:00"
    assert v1_params["order_by"] == "-execution_date"
    assert v2_params.get_list("state") == ["failed", "queued"]
    assert v2_params["logical_date_gte"] == "2024-01-01T00:00:00+00:00"
    assert v2_params["order_by"] == "-logical_date"


def test_dag_ids_use_the_batch_endpoint() -> None:
    server = v2_server({("POST", "/api/v2/dags/~/dagRuns/list"): page([v2_run()])})
    runs = client(server).dag_runs.list(dag_ids=["a", "b"], states="success", page_size=10)
    assert [r.run_id for r in runs] == ["r1"]
    assert json.loads(server.sent("POST")[-1].content) == {
        "page_offset": 0,
        "page_limit": 10,
        "dag_ids": ["a", "b"],
        "states": ["success"],
    }


@pytest.mark.parametrize(
    ("server", "filters", "what"),
    [
        (v1_server({}), {"run_types": ["manual"]}, "run_types"),
        (v1_server({}), {"run_after_gte": datetime(2024, 1, 1, tzinfo=UTC)}, "run_after_gte"),
        (v1_server({}), {"order_by": ["state", "-logical_date"]}, "order_by_several"),
        (v2_server({}), {"dag_ids": ["a"], "run_types": ["manual"]}, "run_types"),
        (
            v2_server({}),
            {"dag_ids": ["a"], "updated_at_gte": datetime(2024, 1, 1, tzinfo=UTC)},
            "updated_at_gte",
        ),
    ],
)
def test_filters_a_generation_lacks_raise_unsupported_before_sending(
    server: MockServer, filters: dict[str, Any], what: str
) -> None:
    dag_id = "~" if "dag_ids" in filters else "etl"  # dag_ids= names the DAGs itself
    with pytest.raises(UnsupportedOperation, match=what):
        client(server).dag_runs.list(dag_id, **filters)
    assert server.sent() == []


def test_updated_at_filters_need_airflow_2_6() -> None:
    server = MockServer({("GET", "/api/v1/version"): (200, {"version": "2.5.3"})})
    with pytest.raises(UnsupportedOperation) as caught:
        client(server).dag_runs.list("etl", updated_at_gte=datetime(2024, 1, 1, tzinfo=UTC))
    assert str(caught.value) == (
        "updated_at_gte is not supported by Airflow 2.5.3: it needs Airflow 2.6.0 or newer"
    )


def test_only_failed_clear_is_refused_on_airflow_2() -> None:
    server = v1_server({})
    with pytest.raises(UnsupportedOperation, match="only_failed"):
        client(server).dag_runs.clear("etl", "r1", only_failed=True)
    assert server.sent() == []


def test_unknown_filter_names_and_order_fields_are_type_and_value_errors() -> None:
    c = client(v2_server({("GET", V2_RUNS): page([])}))
    with pytest.raises(TypeError, match="statez"):
        c.dag_runs.list("etl", statez=["failed"])  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="order_by 'color' is not a field"):
        c.dag_runs.list("etl", order_by="color")


# -- paging -----------------------------------------------------------------------------


def paged(total: int, cap: int) -> MockServer:
    """A v2 server holding `total` runs that never returns more than `cap` a page; a 3.1
    server, which pages by offset only (keyset pages: tests/unit/test_sameness_state.py)."""
    runs = [v2_run(f"r{i}") for i in range(total)]

    def list_runs(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        limit = min(int(request.url.params["limit"]), cap)
        return httpx.Response(
            200, json={"dag_runs": runs[offset : offset + limit], "total_entries": total}
        )

    version = (200, {"version": "3.1.8", "git_version": None})
    return v2_server({("GET", "/api/v2/version"): version, ("GET", V2_RUNS): list_runs})


def test_iter_pages_by_what_came_back_when_the_server_caps_pages() -> None:
    server = paged(total=250, cap=100)
    runs = client(server).dag_runs.list("etl", page_size=1000)
    assert [r.run_id for r in runs] == [f"r{i}" for i in range(250)]
    assert [r.url.params["offset"] for r in server.sent("GET")] == ["0", "100", "200"]


def test_limit_stops_early_and_asks_only_for_what_it_needs() -> None:
    server = paged(total=250, cap=100)
    runs = client(server).dag_runs.list("etl", limit=7, page_size=5)
    assert len(runs) == 7
    assert [r.url.params["limit"] for r in server.sent("GET")] == ["5", "2"]


def test_limit_zero_sends_nothing() -> None:
    server = paged(total=5, cap=100)
    assert client(server).dag_runs.list("etl", limit=0) == []
    assert server.sent("GET") == []


def test_iter_is_lazy() -> None:
    server = paged(total=30, cap=10)
    iterator = client(server).dag_runs.iter("etl", page_size=10)
    assert server.sent("GET") == []
    next(iterator)
    assert len(server.sent("GET")) == 1


def test_count_reads_total_entries_from_one_small_page() -> None:
    server = paged(total=42, cap=100)
    assert client(server).dag_runs.count("etl") == 42
    assert server.sent("GET")[0].url.params["limit"] == "1"


def test_unknown_dag_is_not_found_on_v1_although_its_list_is_an_empty_200() -> None:
    server = v1_server(
        {
            ("GET", "/api/v1/dags/nope/dagRuns"): page([]),
            ("GET", "/api/v1/dags/nope"): problem(
                404, "The DAG with dag_id: nope was not found", "DAG not found"
            ),
        }
    )
    with pytest.raises(NotFound, match="nope was not found"):
        client(server).dag_runs.list("nope")


def test_known_dag_without_runs_lists_empty_on_v1() -> None:
    server = v1_server(
        {("GET", V1_RUNS): page([]), ("GET", "/api/v1/dags/etl"): (200, {"dag_id": "etl"})}
    )
    assert client(server).dag_runs.list("etl") == []


# -- parsing ----------------------------------------------------------------------------


def test_v1_dataset_triggered_is_normalized_and_external_trigger_kept_in_extra() -> None:
    body = v1_run(run_type="dataset_triggered")
    server = v1_server({("GET", f"{V1_RUNS}/r1"): (200, body)})
    run = client(server).dag_runs.get("etl", "r1")
    assert run.run_type is RunType.ASSET_TRIGGERED
    assert run.extra == {"external_trigger": True}
    assert run.logical_date == datetime(2024, 1, 1, tzinfo=UTC)


def test_unknown_states_and_fields_from_newer_servers_are_kept() -> None:
    body = v2_run(state="paused_by_robot", run_type="ai_triggered", shiny_new_field=[1])
    server = v2_server({("GET", f"{V2_RUNS}/r1"): (200, body)})
    run = client(server).dag_runs.get("etl", "r1")
    assert run.state == "paused_by_robot"
    assert run.run_type == "ai_triggered"
    assert run.extra["shiny_new_field"] == [1]


def test_older_v1_servers_without_later_fields_parse_with_none() -> None:
    body = {
        "conf": None,
        "dag_id": "etl",
        "dag_run_id": "r1",
        "end_date": None,
        "execution_date": "2021-01-01T00:00:00+00:00",
        "external_trigger": True,
        "start_date": None,
        "state": "running",
    }
    server = MockServer(
        {
            ("GET", "/api/v1/version"): (200, {"version": "2.0.2"}),
            ("GET", f"{V1_RUNS}/r1"): (200, body),
        }
    )
    run = client(server).dag_runs.get("etl", "r1")
    assert run.logical_date == datetime(2021, 1, 1, tzinfo=UTC)
    assert (run.note, run.run_type, run.data_interval_start, run.conf) == (None, None, None, {})


def test_success_body_that_is_not_json_is_invalid_response() -> None:
    server = v2_server({("GET", f"{V2_RUNS}/r1"): httpx.Response(200, text="<html>oops")})
    with pytest.raises(InvalidResponse, match="expected JSON"):
        client(server).dag_runs.get("etl", "r1")


def test_success_body_of_the_wrong_shape_is_invalid_response() -> None:
    server = v2_server({("GET", f"{V2_RUNS}/r1"): (200, {"dag_runs": []})})
    with pytest.raises(InvalidResponse, match="unexpected body shape"):
        client(server).dag_runs.get("etl", "r1")


# -- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        (problem(400, None, "state: 'running' is not one of"), BadRequest, "state: 'running'"),
        (problem(403, "Access is denied"), PermissionDenied, "Access is denied"),
        (problem(409, "DAGRun with DAG ID: 'etl' already exists"), Conflict, "already exists"),
        (
            httpx.Response(
                422, json={"detail": [{"loc": ["body", "logical_date"], "msg": "Field required"}]}
            ),
            BadRequest,
            "logical_date: Field required",
        ),
        (
            httpx.Response(
                409,
                json={
                    "detail": {"reason": "Unique constraint violation", "statement": "INSERT ..."}
                },
            ),
            Conflict,
            "Unique constraint violation",
        ),
        (
            httpx.Response(500, text="<html><title>Airflow 500</title></html>"),
            ServerError,
            "Airflow 500",
        ),
        (httpx.Response(418, text=""), ApiError, "HTTP 418"),
    ],
)
def test_every_error_body_shape_becomes_a_typed_error_with_a_readable_message(
    answer: httpx.Response, error: type[ApiError], message: str
) -> None:
    server = v2_server({("GET", f"{V2_RUNS}/r1"): answer})
    with pytest.raises(error) as caught:
        client(server).dag_runs.get("etl", "r1")
    assert type(caught.value) is error
    assert message in caught.value.message
    assert caught.value.status == answer.status_code
    assert caught.value.method == "GET"
    assert caught.value.url.endswith(f"{V2_RUNS}/r1")


def test_connection_failures_are_transport_errors() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=request)

    with pytest.raises(TransportError, match="Connection refused"):
        Client("http://airflow:1", transport=httpx.MockTransport(refuse)).server  # noqa: B018


# -- wait -------------------------------------------------------------------------------


def test_wait_polls_until_a_terminal_state(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr("airflow_bridge._client.time.sleep", slept.append)
    states = iter(["queued", "running", "success"])
    server = v2_server(
        {("GET", f"{V2_RUNS}/r1"): lambda _: httpx.Response(200, json=v2_run(state=next(states)))}
    )
    run = client(server).dag_runs.wait("etl", "r1", interval=2, timeout=60)
    assert run.state is DagRunState.SUCCESS
    assert slept == [2, 3]  # the interval grows by half (WAIT_GROWTH) after each poll


def test_wait_gives_up_with_the_last_run_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("airflow_bridge._client.time.sleep", lambda _: None)
    server = v2_server({("GET", f"{V2_RUNS}/r1"): (200, v2_run(state="running"))})
    with pytest.raises(WaitTimeout) as caught:
        client(server).dag_runs.wait("etl", "r1", interval=1, timeout=0)
    assert caught.value.last.state is DagRunState.RUNNING
    assert isinstance(caught.value, TimeoutError)


# -- async ------------------------------------------------------------------------------


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_async_client_has_the_same_results_as_the_sync_client() -> None:
    server = paged(total=23, cap=10)
    server.routes[("GET", f"{V2_RUNS}/r1")] = (200, v2_run())
    server.routes[("PATCH", f"{V2_RUNS}/r1")] = (200, v2_run(state="failed"))
    sync = client(server)
    async with AsyncClient(
        "http://airflow:8080", username="admin", password="pw", transport=server.async_transport()
    ) as ac:
        assert (await ac.server_info()) == sync.server
        assert [r async for r in ac.dag_runs.iter("etl", page_size=10)] == sync.dag_runs.list(
            "etl", page_size=10
        )
        assert await ac.dag_runs.count("etl") == 23
        assert await ac.dag_runs.get("etl", "r1") == sync.dag_runs.get("etl", "r1")
        assert (await ac.dag_runs.set_state("etl", "r1", "failed")).state is DagRunState.FAILED


@pytest.mark.anyio
async def test_async_concurrent_requests_share_one_login() -> None:
    import anyio

    server = v2_server({("GET", f"{V2_RUNS}/r1"): (200, v2_run())})
    async with (
        AsyncClient(
            "http://airflow:8080",
            username="admin",
            password="pw",
            transport=server.async_transport(),
        ) as ac,
        anyio.create_task_group() as tg,
    ):
        for _ in range(20):
            tg.start_soon(ac.dag_runs.get, "etl", "r1")
    assert len(server.sent("POST")) == 1
    assert len(server.sent("GET")) == 20


def test_threads_share_one_login() -> None:
    from concurrent.futures import ThreadPoolExecutor

    server = v2_server({("GET", f"{V2_RUNS}/r1"): (200, v2_run())})
    c = client(server)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: c.dag_runs.get("etl", "r1"), range(40)))
    assert len(server.sent("POST")) == 1


def test_airflow_3_invalid_jwt_403_logs_in_again_but_a_plain_403_does_not() -> None:
    answers = iter(
        [
            httpx.Response(403, json={"detail": "Invalid JWT token"}),
            httpx.Response(200, json=v2_run()),
            httpx.Response(403, json={"detail": "Forbidden"}),
        ]
    )
    server = v2_server({("GET", f"{V2_RUNS}/r1"): lambda _: next(answers)})
    c = client(server)
    assert c.dag_runs.get("etl", "r1").run_id == "r1"
    with pytest.raises(PermissionDenied):
        c.dag_runs.get("etl", "r1")
    assert [r.method for r in server.sent()] == ["POST", "GET", "POST", "GET", "GET"]


def test_a_get_on_a_dropped_kept_alive_connection_is_sent_once_more() -> None:
    attempts: list[str] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        attempts.append(request.method)
        if len(attempts) == 1:
            raise httpx.ReadError("Connection reset by peer", request=request)
        return httpx.Response(200, json=v2_run())

    server = v2_server({("GET", f"{V2_RUNS}/r1"): flaky})
    assert client(server).dag_runs.get("etl", "r1").run_id == "r1"
    assert attempts == ["GET", "GET"]


def test_a_trigger_on_a_dropped_connection_is_resent_with_the_same_run_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("airflow_bridge._client.time.sleep", lambda _: None)

    def dropped(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("Connection reset by peer", request=request)

    server = v2_server({("POST", V2_RUNS): dropped})
    with pytest.raises(TransportError, match="Connection reset"):
        client(server, retries=1).dag_runs.trigger("etl")
    _login, *triggers = server.sent("POST")  # the login, then the trigger twice
    assert len(triggers) == 2
    assert len({json.loads(t.content)["dag_run_id"] for t in triggers}) == 1
    with pytest.raises(TransportError):
        client(server, retries=0).dag_runs.trigger("etl")
    assert len(server.sent("POST")) == 5  # a login and one trigger more: retries=0
