"""Issue 11: passwords and tokens never shown: not in repr/str, errors, logs (the library's and
httpx's own at DEBUG), pytest's `--showlocals` tracebacks or rich's `show_locals` tracebacks.

The password used below is distinctive, so finding it (or its Basic or JWT form) anywhere in
rendered output is a leak. Servers are FakeAirflow on loopback (real sockets, so httpcore logs
too), one per generation: HTTP Basic on Airflow 2.10.5, the token login on 3.3.2.
"""

from __future__ import annotations

import base64
import io
import logging
import re
import textwrap
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_bridge import AsyncClient, Client
from airflow_bridge.errors import AuthenticationError, NotFound
from airflow_bridge.testing import FakeAirflow

PASSWORD = "Pw-9f3c1a7e-secret"
USER = "alice"
VERSIONS = ["2.10.5", "3.3.2"]


def forms(password: str = PASSWORD) -> list[str]:
    """The password as itself and as it would appear in a Basic header."""
    basic = base64.b64encode(f"{USER}:{password}".encode()).decode()
    return [password, basic, basic[:-4]]


@pytest.fixture(params=VERSIONS)
def served(request: pytest.FixtureRequest) -> Iterator[tuple[FakeAirflow, str]]:
    fake = FakeAirflow(request.param, users={USER: PASSWORD})
    with fake.serve() as server:
        yield fake, server.url


def leaks(text: str, tokens: list[str] = ()) -> list[str]:  # type: ignore[assignment]
    return [secret for secret in [*forms(), *tokens] if secret and secret in text]


def issued_tokens(fake: FakeAirflow) -> list[str]:
    """Every bearer token the fake saw (Airflow 3's login), so they are searched for too."""
    found = []
    for request in fake.requests:
        value = dict(request.headers).get("authorization", "")
        if value.lower().startswith("bearer "):
            found.append(value[7:])
    return found


def test_clients_and_their_auth_show_no_secret() -> None:
    shown = []
    for client in (
        Client("https://h:8080", username=USER, password=PASSWORD),
        Client(f"https://{USER}:{PASSWORD}@h:8080"),
        Client("https://h:8080", token=PASSWORD),
        AsyncClient("https://h:8080", username=USER, password=PASSWORD),
    ):
        shown += [repr(client), str(client), repr(vars(client)), client.base_url]
        shown += [repr(vars(client._driver)), repr(vars(client._driver._settings))]
    assert not leaks("\n".join(shown))


def test_a_refused_login_shows_no_secret(served: tuple[FakeAirflow, str]) -> None:
    _, url = served
    wrong = PASSWORD + "-wrong"
    with (
        Client(url, username=USER, password=wrong) as client,
        pytest.raises(AuthenticationError) as caught,
    ):
        client.dag_runs.get("bridge_plain", "r1")
    error = caught.value
    text = "\n".join([str(error), repr(error), repr(error.body), repr(dict(error.headers))])
    assert wrong not in text and not leaks(text)


def test_debug_logs_of_the_library_httpx_and_httpcore_show_no_secret(
    served: tuple[FakeAirflow, str], caplog: pytest.LogCaptureFixture
) -> None:
    fake, url = served
    loggers = ("airflow_bridge", "httpx", "httpcore")
    with caplog.at_level(logging.DEBUG):
        for name in loggers:
            logging.getLogger(name).setLevel(logging.DEBUG)
        with Client(url, username=USER, password=PASSWORD) as client:
            run = client.dag_runs.trigger("bridge_plain")
            client.dag_runs.get("bridge_plain", run.run_id)
            with pytest.raises(NotFound):
                client.dag_runs.get("bridge_plain", "no-such-run")
    said = {record.name.split(".")[0] for record in caplog.records}
    assert {"httpx", "httpcore", "airflow_bridge"} <= said  # all three really logged
    text = "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records)
    tokens = issued_tokens(fake)
    assert fake.version.startswith("2") or tokens  # Airflow 3: a token was issued and used
    assert not leaks(text, tokens)


FAILING_CALLS = """
from airflow_bridge import Client

URL = {url!r}

def test_a_call_fails_on_the_server():
    with Client(URL, username="alice", password={password!r}) as client:
        client.dag_runs.get("bridge_plain", "no-such-run")

def test_a_login_is_refused():
    with Client(URL, username="alice", password={password!r} + "-x") as client:
        client.dag_runs.get("bridge_plain", "no-such-run")

def test_a_token_client_fails():
    with Client(URL, token={password!r}) as client:
        client.dag_runs.get("bridge_plain", "no-such-run")
"""
FAILING_CONSTRUCTOR = """
from airflow_bridge import Client

def test_constructor_refuses_an_argument():
    Client({url!r}, username="alice", password={password!r}, verify="ca.pem")
"""


def showlocals(pytester: pytest.Pytester, source: str, failed: int) -> str:
    """pytest's output for `source`'s failing tests, with --showlocals and long tracebacks,
    minus the test file's own source lines (where the caller wrote the password)."""
    pytester.makepyfile(test_leaky=source)
    result = pytester.runpytest_subprocess("--showlocals", "--tb=long", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=failed)
    return "\n".join(
        line
        for line in result.outlines + result.errlines
        if not line.lstrip(" >").startswith(("with Client(", "Client("))
    )


def test_pytest_showlocals_tracebacks_of_failed_calls_show_no_secret(
    served: tuple[FakeAirflow, str], pytester: pytest.Pytester
) -> None:
    fake, url = served
    output = showlocals(pytester, FAILING_CALLS.format(url=url, password=PASSWORD), 3)
    assert re.search(r"client\s+= Client\(", output)  # the locals really were shown
    assert not leaks(output, issued_tokens(fake)), textwrap.shorten(output, 4000)


def test_pytest_showlocals_traceback_of_a_refused_constructor_shows_no_secret(
    pytester: pytest.Pytester,
) -> None:
    source = FAILING_CONSTRUCTOR.format(url="http://127.0.0.1:9", password=PASSWORD)
    assert not leaks(showlocals(pytester, source, 1))


def fail_calls(url: str) -> list[BaseException]:
    """The errors of calls that fail; the secrets live only in this frame, not the caller's."""
    errors = []
    for client in (
        Client(url, username=USER, password=PASSWORD),
        Client(url, username=USER, password=PASSWORD + "-x"),
    ):
        try:
            with client:
                client.dag_runs.get("bridge_plain", "no-such-run")
        except Exception as exc:  # the test renders whatever comes out
            errors.append(exc)
    return errors


def test_rich_show_locals_tracebacks_show_no_secret(served: tuple[FakeAirflow, str]) -> None:
    rich_console = pytest.importorskip("rich.console")
    rich_traceback = pytest.importorskip("rich.traceback")
    fake, url = served
    rendered = []
    for error in fail_calls(url):
        console = rich_console.Console(file=io.StringIO(), width=200)
        trace = rich_traceback.Traceback.from_exception(
            type(error), error, error.__traceback__, show_locals=True, max_frames=0
        )
        console.print(trace)
        rendered.append(console.file.getvalue())
    assert len(rendered) == 2
    text = "\n".join(rendered)
    assert "dag_id = 'bridge_plain'" in text  # the library's frames and locals were rendered
    assert not leaks(text, issued_tokens(fake)) and (PASSWORD + "-x") not in text


# -- plain http to another host --------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://airflow.example.com:8080", "http://10.1.2.3"])
def test_basic_credentials_over_plain_http_to_another_host_warn(url: str) -> None:
    from airflow_bridge.errors import InsecureCredentialsWarning

    with pytest.warns(InsecureCredentialsWarning, match="https"):
        Client(url, username=USER, password=PASSWORD)


@pytest.mark.parametrize(
    ("url", "credentials"),
    [
        ("http://127.0.0.1:8080", {"username": USER, "password": PASSWORD}),
        ("http://localhost:8080", {"username": USER, "password": PASSWORD}),
        ("http://[::1]:8080", {"username": USER, "password": PASSWORD}),
        ("https://airflow.example.com", {"username": USER, "password": PASSWORD}),
        ("http://airflow.example.com", {}),
    ],
)
def test_no_warning_on_loopback_https_or_without_credentials(
    url: str, credentials: dict[str, Any]
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Client(url, **credentials)


def test_the_warning_is_a_user_warning_of_ours() -> None:
    from airflow_bridge.errors import InsecureCredentialsWarning

    assert issubclass(InsecureCredentialsWarning, UserWarning)
    with pytest.warns(InsecureCredentialsWarning) as caught:
        Client("http://airflow.example.com", token=PASSWORD)
    assert not leaks(str(caught[0].message))
