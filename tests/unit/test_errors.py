"""The public error classes: pickling, equality, headers, Retry-After, timeouts and secrets.

Equality is the library's own (`_ErrorValue`): same class, same args, same attributes. An
unpickled error therefore *equals* the original, which is what a process pool or a result
store needs; the round trip below is checked for every class `airflow_bridge.errors` defines,
found by walking the module, so a new class without an example here fails.
"""

from __future__ import annotations

import base64
import inspect
import pickle
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from airflow_bridge import Client, DagRunState
from airflow_bridge import errors as errors_module
from airflow_bridge.errors import (
    AirflowBridgeError,
    ApiError,
    AuthenticationError,
    BadRequest,
    FleetConfigError,
    NotFound,
    PartialUpdate,
    RateLimited,
    ResponseHeaders,
    ServerError,
    TransportError,
    TransportTimeout,
    WaitTimeout,
    error_class,
    parse_retry_after,
)
from airflow_bridge.models import DagRun
from airflow_bridge.testing import FakeAirflow

URL = "http://airflow:8080/api/v2/dags/etl/dagRuns/r1"
HEADERS = {"Content-Type": "application/json", "Set-Cookie": "session=abc123; HttpOnly"}


def a_run() -> DagRun:
    fake = FakeAirflow("3.3.2", dags=["etl"])
    with Client(fake.base_url, username="admin", password="admin", transport=fake.transport()) as c:
        return c.dag_runs.trigger("etl", run_id="r1")


def not_found() -> ApiError:
    return NotFound("DAG run not found", status=404, method="GET", url=URL, headers=HEADERS)


def api_kwargs(status: int) -> dict[str, Any]:
    return {"status": status, "method": "GET", "url": URL, "body": {"detail": "x"}}


#: One example of each class, built as the library builds it.
EXAMPLES: dict[str, Callable[[], BaseException]] = {
    "AirflowBridgeError": lambda: AirflowBridgeError("something failed"),
    "ClientClosed": lambda: errors_module.ClientClosed("this client is closed"),
    "InvalidArgument": lambda: errors_module.InvalidArgument("limit must be positive"),
    "ApiError": lambda: ApiError("Method Not Allowed", headers=HEADERS, **api_kwargs(405)),
    "BadRequest": lambda: BadRequest("bad conf", **api_kwargs(400)),
    "InvalidRunId": lambda: errors_module.InvalidRunId(
        "run_id 'a/b' has a slash",
        run_id="a/b",
        pattern=r"^[A-Za-z0-9_.~:+-]+$",
        headers=HEADERS,
        **api_kwargs(400),
    ),
    "AuthenticationError": lambda: AuthenticationError("Invalid credentials", **api_kwargs(401)),
    "PermissionDenied": lambda: errors_module.PermissionDenied("Forbidden", **api_kwargs(403)),
    "NotFound": not_found,
    "Conflict": lambda: errors_module.Conflict("exists", **api_kwargs(409)),
    "RateLimited": lambda: RateLimited(
        "slow down", headers={"Retry-After": "7"}, **api_kwargs(429)
    ),
    "ServerError": lambda: ServerError(
        "unavailable", headers={"Retry-After": "3"}, **api_kwargs(503)
    ),
    "Redirected": lambda: errors_module.Redirected(
        "redirected", location="https://airflow/api/v2/x", status=301, method="GET", url=URL
    ),
    "PartialUpdate": lambda: PartialUpdate(
        not_found(), applied={"state": "failed"}, not_applied=("note",), run=a_run()
    ),
    "TransportError": lambda: TransportError("connection refused", method="GET", url=URL),
    "TransportTimeout": lambda: TransportTimeout("timed out", method="POST", url=URL, phase="read"),
    "InvalidResponse": lambda: errors_module.InvalidResponse(
        "expected JSON", method="GET", url=URL, body="<html>"
    ),
    "UnsupportedOperation": lambda: errors_module.UnsupportedOperation(
        "set_state_queued", server_version="2.6.3", added_in="2.9.0", api="v1"
    ),
    "VersionDetectionError": lambda: errors_module.VersionDetectionError("not Airflow"),
    "WaitTimeout": lambda: WaitTimeout("etl/r1 is still queued after 1 s", last=a_run()),
    "RunFailed": lambda: errors_module.RunFailed(
        "etl/r1 failed; failed tasks: none", run=a_run(), failed_tasks=()
    ),
    "FleetConfigError": lambda: FleetConfigError("fleet.toml: no servers"),
    "InsecureCredentialsWarning": lambda: errors_module.InsecureCredentialsWarning("plain http"),
}

ERROR_CLASSES = sorted(
    (
        cls
        for _, cls in inspect.getmembers(errors_module, inspect.isclass)
        if issubclass(cls, BaseException) and cls.__module__ == errors_module.__name__
    ),
    key=lambda cls: cls.__name__,
)


def test_the_module_defines_the_classes_expected() -> None:
    # Guards the walk itself: were it to find nothing, the round trip would check nothing.
    assert len(ERROR_CLASSES) >= 20
    assert {"RateLimited", "TransportTimeout", "FleetConfigError"} <= {
        c.__name__ for c in ERROR_CLASSES
    }


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.__name__)
def test_every_error_class_pickles_to_an_equal_error(cls: type[BaseException]) -> None:
    assert cls.__name__ in EXAMPLES, f"add an example of {cls.__name__} to EXAMPLES"
    error = EXAMPLES[cls.__name__]()
    assert type(error) is cls
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls
    assert copy == error
    assert (str(copy), repr(copy), copy.args) == (str(error), repr(error), error.args)
    assert vars(copy) == vars(error)
    assert hash(copy) == hash(error)


def test_equality_is_by_class_args_and_attributes() -> None:
    error = not_found()
    assert error == not_found()
    assert error != ApiError("DAG run not found", status=404, method="GET", url=URL)  # class
    other = not_found()
    other.body = {"detail": "something else"}
    assert error != other  # an attribute
    assert error != NotFound("DAG run not found", status=404, method="DELETE", url=URL)


def test_a_partial_update_keeps_its_nested_error_and_run_through_pickle() -> None:
    error = EXAMPLES["PartialUpdate"]()
    assert isinstance(error, PartialUpdate)
    copy = pickle.loads(pickle.dumps(error))
    assert copy.error == error.error and copy.error is not error.error
    assert isinstance(copy.run, DagRun) and copy.run == error.run
    assert copy.headers == error.headers


def test_fleet_config_error_is_the_errors_class_re_exported_by_fleet() -> None:
    from airflow_bridge import fleet

    assert fleet.FleetConfigError is FleetConfigError
    assert issubclass(FleetConfigError, AirflowBridgeError)
    assert issubclass(FleetConfigError, ValueError)  # as before


def test_both_timeouts_are_timeout_errors() -> None:
    assert issubclass(TransportTimeout, TransportError)
    assert issubclass(TransportTimeout, TimeoutError)
    assert issubclass(WaitTimeout, TimeoutError)


# -- headers -----------------------------------------------------------------------------


def test_headers_are_immutable_case_insensitive_and_redact_cookies() -> None:
    error = not_found()
    headers = error.headers
    assert isinstance(headers, ResponseHeaders)
    assert headers["content-type"] == headers["CONTENT-TYPE"] == "application/json"
    assert headers["set-cookie"] == "[redacted]"
    with pytest.raises(TypeError):
        headers["x"] = "y"  # type: ignore[index]
    shown = [str(error), repr(error), repr(headers), repr(vars(error)), str(pickle.dumps(error))]
    assert not any("abc123" in text for text in shown)


def test_repeated_headers_are_joined_and_every_credential_header_is_redacted() -> None:
    headers = ResponseHeaders(
        [
            ("Set-Cookie", "a=1"),
            ("set-cookie", "b=2"),
            ("Authorization", "Basic eDp5"),
            ("Proxy-Authorization", "Bearer t"),
            ("Cookie", "c=3"),
            ("Vary", "Accept"),
            ("Vary", "Origin"),
        ]
    )
    assert dict(headers) == {
        "set-cookie": "[redacted], [redacted]",
        "authorization": "[redacted]",
        "proxy-authorization": "[redacted]",
        "cookie": "[redacted]",
        "vary": "Accept, Origin",
    }
    assert pickle.loads(pickle.dumps(headers)) == headers


# -- Retry-After ---------------------------------------------------------------------------

DATE = "Sun, 29 Nov 2026 13:00:00 GMT"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        ("Sun, 29 Nov 2026 13:00:30 GMT", 30.0),  # measured from the Date header
        ("Sun, 29 Nov 2026 12:59:00 GMT", 0.0),  # in the past
        ("Sunday, 29-Nov-26 13:01:00 GMT", 60.0),  # RFC 850, still valid HTTP
        ("-5", None),
        ("soon", None),
        ("", None),
        ("Sun, 99 Nov 2026 13:00:30 GMT", None),
    ],
)
def test_retry_after_reads_seconds_and_http_dates(value: str, expected: float | None) -> None:
    assert parse_retry_after(value, date=DATE) == expected


def test_retry_after_without_a_date_header_uses_this_machines_clock() -> None:
    later = datetime.now(timezone.utc).timestamp() + 100
    value = datetime.fromtimestamp(later, timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")
    seconds = parse_retry_after(value)
    assert seconds is not None and 95 <= seconds <= 100
    assert parse_retry_after("Thu, 01 Jan 2015 00:00:00 GMT") == 0.0


@pytest.mark.parametrize(("status", "expected"), [(429, 7.0), (503, 7.0), (500, None), (404, None)])
def test_retry_after_is_read_on_429_and_503_only(status: int, expected: float | None) -> None:
    error = error_class(status)("x", headers={"Retry-After": "7"}, **api_kwargs(status))
    assert error.retry_after == expected
    assert ("retry after 7 s" in str(error)) == (expected is not None)


def test_429_is_rate_limited() -> None:
    assert error_class(429) is RateLimited
    assert issubclass(RateLimited, ApiError) and not issubclass(RateLimited, ServerError)


# -- through the client, on both generations -----------------------------------------------


@pytest.fixture(params=["2.10.5", "3.3.2"])
def fake(request: pytest.FixtureRequest) -> FakeAirflow:
    return FakeAirflow(request.param, dags=["etl"])


def test_a_429_with_retry_after_is_rate_limited_with_its_headers(fake: FakeAirflow) -> None:
    with Client(
        fake.base_url, username="admin", password="admin", transport=fake.transport(), retries=0
    ) as c:
        fake.inject("get", status=429, retry_after=7)
        with pytest.raises(RateLimited) as caught:
            c.dag_runs.get("etl", "missing")
        fake.inject("get", status=503, retry_after=2)
        with pytest.raises(ServerError) as unavailable:
            c.dag_runs.get("etl", "missing")
        with pytest.raises(NotFound) as missing:
            c.dag_runs.get("etl", "missing")
    assert caught.value.retry_after == 7.0
    assert caught.value.headers["retry-after"] == "7"
    assert unavailable.value.retry_after == 2.0
    assert missing.value.retry_after is None
    assert "content-type" in missing.value.headers


def test_a_read_timeout_is_a_transport_timeout_naming_its_phase(fake: FakeAirflow) -> None:
    with Client(
        fake.base_url,
        username="admin",
        password="admin",
        transport=fake.transport(),
        timeout=0.05,
        retries=0,
    ) as c:
        c.dag_runs.list("etl")  # detect first
        fake.inject("get", delay=1.0)
        with pytest.raises(TransportTimeout) as caught:
            c.dag_runs.get("etl", "r1")
        fake.inject("get", drop=True)  # retries=0: not resent
        with pytest.raises(TransportError) as dropped:
            c.dag_runs.get("etl", "r1")
    assert caught.value.phase == "read"
    assert (caught.value.method, caught.value.url.endswith("/dagRuns/r1")) == ("GET", True)
    assert not isinstance(dropped.value, TransportTimeout)


def test_wait_timeout_carries_the_last_run(fake: FakeAirflow) -> None:
    with Client(fake.base_url, username="admin", password="admin", transport=fake.transport()) as c:
        run = c.dag_runs.trigger("etl")
        with pytest.raises(WaitTimeout) as caught:
            c.dag_runs.wait("etl", run.run_id, timeout=0.0, interval=0.01)
    assert isinstance(caught.value.last, DagRun)
    assert caught.value.last.state == DagRunState.QUEUED
    assert pickle.loads(pickle.dumps(caught.value)) == caught.value


# -- secrets -------------------------------------------------------------------------------

PASSWORD = "Pw-7f3!secret"


def failures(client: Client, fake: FakeAirflow) -> list[BaseException]:
    """An error of each kind a request with credentials can end in."""
    seen: list[BaseException] = []

    def catch(call: Callable[[], object]) -> None:
        try:
            call()
        except (AirflowBridgeError, errors_module.InvalidArgument) as exc:
            seen.append(exc)

    runs = client.dag_runs
    catch(lambda: runs.get("etl", "missing"))
    fake.inject("get", status=500)
    catch(lambda: runs.get("etl", "missing"))
    fake.inject("get", status=502, html=True)
    catch(lambda: runs.get("etl", "missing"))
    fake.inject("get", status=429, retry_after=1)
    catch(lambda: runs.get("etl", "missing"))
    fake.inject("get", drop=True)  # the client has retries=0
    catch(lambda: runs.get("etl", "missing"))
    fake.inject("trigger", status=409)
    catch(lambda: runs.trigger("etl"))
    catch(lambda: runs.trigger("etl", run_id="bad/id"))
    run = runs.trigger("etl")
    catch(lambda: runs.wait("etl", run.run_id, timeout=0.0, interval=0.01))
    fake.inject("set_note", status=500)
    catch(lambda: runs.update("etl", run.run_id, state="failed", note="n"))
    return seen


@pytest.mark.parametrize("version", ["2.10.5", "3.3.2"])
def test_no_error_shows_a_password_or_an_authorization_value(version: str) -> None:
    """Airflow 2 gets HTTP Basic, Airflow 3 a Bearer token from a login: neither the password,
    the Basic value nor the token appears in any error's str, repr, attributes or pickle."""
    fake = FakeAirflow(version, users={"admin": PASSWORD}, dags=["etl"])
    base = fake.base_url.replace("://", f"://admin:{PASSWORD}@", 1)  # credentials in the URL
    with Client(base, transport=fake.transport(), retries=0) as client:
        seen = failures(client, fake)
    with Client(
        fake.base_url, username="admin", password="wrong-" + PASSWORD, transport=fake.transport()
    ) as refused:
        with pytest.raises(AuthenticationError) as caught:
            refused.dag_runs.get("etl", "r1")
        seen.append(caught.value)

    kinds = {type(error).__name__ for error in seen}
    assert {"NotFound", "ServerError", "RateLimited", "TransportError", "Conflict"} <= kinds
    assert {"InvalidRunId", "AuthenticationError", "WaitTimeout"} <= kinds
    if version == "2.10.5":
        assert "PartialUpdate" in kinds  # state, then note: two calls on Airflow 2
    sent = {
        value for r in fake.requests for key, value in r.headers.items() if key == "authorization"
    }
    scheme = "Basic" if version == "2.10.5" else "Bearer"
    assert sent and all(value.startswith(scheme) for value in sent)
    secrets = {PASSWORD, base64.b64encode(f"admin:{PASSWORD}".encode()).decode()}
    secrets |= {value.split(" ", 1)[1] for value in sent}
    for error in seen:
        shown = " ".join(
            [str(error), repr(error), repr(vars(error)), pickle.dumps(error).decode("latin-1")]
        )
        leaked = [secret for secret in secrets if secret in shown]
        assert not leaked, f"{type(error).__name__} shows a secret"


def test_urls_lose_their_user_and_password() -> None:
    error = NotFound("x", status=404, method="GET", url=f"http://admin:{PASSWORD}@h/api/v2/x")
    assert error.url == "http://h/api/v2/x"
    assert PASSWORD not in str(error)
    timeout = TransportTimeout("t", method="GET", url=f"https://u:{PASSWORD}@h:8443/api")
    assert timeout.url == "https://h:8443/api" and PASSWORD not in str(timeout)


def test_httpx_timeout_classes_are_still_what_the_client_maps() -> None:
    # The client maps these by class (transport_error); a renamed class would fall back to
    # a phase of None, so this pins the names it relies on.
    for name in ("ConnectTimeout", "ReadTimeout", "WriteTimeout", "PoolTimeout"):
        assert issubclass(getattr(httpx, name), httpx.TimeoutException)
