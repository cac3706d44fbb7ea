"""MWAA without AWS: real boto3 clients whose HTTP never leaves the process.

- MWAAAuth: `CreateWebLoginToken` from botocore's Stubber, and a loopback MWAA web server
  that takes the token at /aws_mwaa/login (form field `token`, single use, 60 s) and answers
  a redirect with the `session` cookie, as AWS documents for Airflow 2 environments; API
  requests with a live session go to a FakeAirflow 2.10.5.
- MWAATransport: botocore serializes each `InvokeRestApi` call from the service model; a
  `before-send` handler plays the MWAA service (`POST /restapi/{Name}`, the documented
  request and response shapes, 4xx/5xx as RestApiClientException/RestApiServerException)
  and forwards the call to a FakeAirflow of either generation.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import boto3
import httpx
import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber
from standins import Loopback, _Handler, serving

from airflow_bridge import AsyncClient, Client
from airflow_bridge.auth import CredentialsUnavailable, MissingExtra, MWAAAuth, MWAATransport
from airflow_bridge.auth._refresh import Offload
from airflow_bridge.errors import AuthenticationError, InvalidArgument, NotFound
from airflow_bridge.testing import FakeAirflow

ENV = "bridge-env"


def mwaa_client() -> Any:
    session = boto3.session.Session(
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        region_name="eu-west-1",
    )
    return session.client("mwaa")


def admin_headers(fake: FakeAirflow) -> dict[str, str]:
    if fake.api == "v1":
        return {"Authorization": "Basic " + base64.b64encode(b"admin:admin").decode()}
    login = fake.transport().handle_request(
        httpx.Request(
            "POST", fake.base_url + "/auth/token", json={"username": "admin", "password": "admin"}
        )
    )
    login.read()
    return {"Authorization": "Bearer " + login.json()["access_token"]}


# -- MWAAAuth: web login token -> session ---------------------------------------------------


class WebServer(Loopback):
    """An MWAA web server's login exchange, in front of a FakeAirflow 2.10.5."""

    def __init__(self) -> None:
        super().__init__()
        self.fake = FakeAirflow("2.10.5")
        self.tokens: dict[str, float] = {}  # web login tokens it will take, and until when
        self.sessions: set[str] = set()
        self.logins = 0
        self._lock = threading.Lock()

    def issue(self) -> dict[str, str]:
        """What CreateWebLoginToken answers for this web server."""
        token = secrets.token_urlsafe(24)
        self.tokens[token] = time.time() + 60
        host = self.url.removeprefix("http://")
        return {
            "WebToken": token,
            "WebServerHostname": host,
            "IamIdentity": "assumed-role/Admin/bridge",
            "AirflowIdentity": "bridge",
        }

    def handle(self, request: _Handler, method: str) -> None:
        body = request._body()
        with self._lock:
            if request.path == "/aws_mwaa/login":
                token = parse_qs(body.decode()).get("token", [""])[0]
                if self.tokens.pop(token, 0) < time.time():  # unknown, used or expired
                    return request._reply(401, b"")
                session = secrets.token_hex(16)
                self.sessions.add(session)
                self.logins += 1
                cookie = f"session={session}; Path=/; HttpOnly; Secure"
                return request._reply(302, b"", {"Location": "/home", "Set-Cookie": cookie})
            cookies = dict(
                part.strip().split("=", 1)
                for part in request.headers.get("Cookie", "").split(";")
                if "=" in part
            )
            if cookies.get("session") not in self.sessions:
                self.record(request.path, 401)
                return request._reply(401, {"title": "Unauthorized", "status": 401})
            upstream = httpx.Request(
                method,
                self.fake.base_url + request.path,
                content=body,
                headers={"Content-Type": "application/json", **admin_headers(self.fake)},
            )
            response = self.fake.transport().handle_request(upstream)
            response.read()
            self.record(request.path, response.status_code)
        request._reply(response.status_code, response.content)


@pytest.fixture
def web() -> Iterator[WebServer]:
    server = WebServer()
    with serving(server):
        yield server


def stubbed(web: WebServer, logins: int) -> tuple[Any, Stubber]:
    client = mwaa_client()
    stubber = Stubber(client)
    for _ in range(logins):
        stubber.add_response("create_web_login_token", web.issue(), {"Name": ENV})
    stubber.activate()
    return client, stubber


def test_a_web_login_token_becomes_a_session_used_for_every_request(web: WebServer) -> None:
    client, stubber = stubbed(web, logins=1)
    auth = MWAAAuth(ENV, client=client, login_url=f"{web.url}/aws_mwaa/login")
    with Client(web.url, auth=auth) as c:
        run = c.dag_runs.trigger("bridge_plain")
        assert [r.run_id for r in c.dag_runs.list("bridge_plain")] == [run.run_id]
    stubber.assert_no_pending_responses()
    assert web.logins == 1 and set(web.statuses) == {200}
    assert auth.identity == "assumed-role/Admin/bridge"


def test_an_ended_session_is_replaced_once(web: WebServer) -> None:
    client, stubber = stubbed(web, logins=2)
    auth = MWAAAuth(ENV, client=client, login_url=f"{web.url}/aws_mwaa/login")

    async def main() -> None:
        async with AsyncClient(web.url, auth=auth) as c:
            await c.dag_runs.list("bridge_plain")
            web.sessions.clear()  # the web server forgot every session
            async with anyio.create_task_group() as tasks:
                for _ in range(4):
                    tasks.start_soon(c.dag_runs.list, "bridge_plain")

    anyio.run(main)
    stubber.assert_no_pending_responses()
    assert web.logins == 2
    assert web.statuses[-1] == 200


def test_the_default_login_url_is_the_web_server_hostname() -> None:
    auth = MWAAAuth(ENV, client=object())
    login = auth._login(None)
    step = next(login)
    assert isinstance(step, Offload)
    answer = {"WebToken": "t0k3n", "WebServerHostname": "abc.c2.eu-west-1.airflow.amazonaws.com"}
    request = login.send(answer)
    assert isinstance(request, httpx.Request)
    assert str(request.url) == "https://abc.c2.eu-west-1.airflow.amazonaws.com/aws_mwaa/login"
    assert request.method == "POST" and request.content == b"token=t0k3n"


def test_a_refusal_by_aws_is_named_by_its_code(
    web: WebServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = mwaa_client()
    stubber = Stubber(client)
    stubber.add_client_error(
        "create_web_login_token", "AccessDeniedException", "User is not authorized", 403
    )
    stubber.activate()
    auth = MWAAAuth(ENV, client=client, login_url=f"{web.url}/aws_mwaa/login")
    c = Client(web.url, auth=auth)
    with c, pytest.raises(CredentialsUnavailable, match="AccessDeniedException") as failed:
        c.dag_runs.list("bridge_plain")
    assert "bridge-env" in str(failed.value)
    assert web.statuses == []


def test_a_login_the_web_server_refuses_is_an_authentication_error(
    web: WebServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = mwaa_client()
    stubber = Stubber(client)
    issued = web.issue()
    web.tokens.clear()  # e.g. it expired (60 s) before it was used
    stubber.add_response("create_web_login_token", issued, {"Name": ENV})
    stubber.activate()
    auth = MWAAAuth(ENV, client=client, login_url=f"{web.url}/aws_mwaa/login")
    c = Client(web.url, auth=auth)
    with c, pytest.raises(AuthenticationError, match="did not open a session") as refused:
        c.dag_runs.list("bridge_plain")
    assert refused.value.status == 401
    for text in (str(refused.value), repr(auth), caplog.text):
        assert issued["WebToken"] not in text


def test_the_session_cookie_is_in_no_repr_or_log(
    web: WebServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client, _ = stubbed(web, logins=1)
    auth = MWAAAuth(ENV, client=client, login_url=f"{web.url}/aws_mwaa/login")
    with Client(web.url, auth=auth) as c:
        c.dag_runs.list("bridge_plain")
    (session,) = web.sessions
    # httpcore's own DEBUG trace prints raw response headers (Set-Cookie included): outside
    # this library, and said so in docs/authentication.md
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpcore"))
    assert "Set-Cookie" in caplog.text  # the trace was captured, so the check below means something
    assert session not in ours and session not in repr(auth)
    assert session not in repr(auth._credential)


def test_wrong_arguments_and_a_missing_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InvalidArgument, match="MWAA environment name"):
        MWAAAuth("", client=object())
    with pytest.raises(InvalidArgument, match="MWAA environment name"):
        MWAATransport("1env", client=object())
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(MissingExtra, match=r"airflow-bridge\[aws\]"):
        MWAAAuth(ENV, region="eu-west-1")


# -- MWAATransport: InvokeRestApi -----------------------------------------------------------


class _Raw:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self._data


class MWAAService:
    """The MWAA service API's InvokeRestApi and GetEnvironment, in front of a FakeAirflow."""

    def __init__(self, fake: FakeAirflow, airflow_version: str) -> None:
        self.fake, self.airflow_version = fake, airflow_version
        self.calls: list[dict[str, Any]] = []

    def __call__(self, request: Any, **kwargs: Any) -> AWSResponse:
        url = urlsplit(request.url)
        if request.method == "GET" and url.path == f"/environments/{ENV}":
            assert url.hostname == "api.airflow.eu-west-1.amazonaws.com"
            return self._json(
                200, {"Environment": {"Name": ENV, "AirflowVersion": self.airflow_version}}
            )
        assert (request.method, url.path) == ("POST", f"/restapi/{ENV}")
        assert url.hostname == "env.airflow.eu-west-1.amazonaws.com"  # the model's hostPrefix
        call = json.loads(request.body)
        self.calls.append(call)
        prefix = "/api/v1" if self.fake.api == "v1" else "/api/v2"
        upstream = httpx.Request(
            call["Method"],
            self.fake.base_url + prefix + call["Path"],
            params=call.get("QueryParameters"),
            json=call.get("Body"),
            headers=admin_headers(self.fake),
        )
        answer = self.fake.transport().handle_request(upstream)
        answer.read()
        body = answer.json() if answer.content else None
        if answer.status_code < 400:
            return self._json(
                200, {"RestApiStatusCode": answer.status_code, "RestApiResponse": body}
            )
        kind = "RestApiClientException" if answer.status_code < 500 else "RestApiServerException"
        return self._json(
            400,
            {
                "message": "Airflow REST API error",
                "RestApiStatusCode": answer.status_code,
                "RestApiResponse": body,
            },
            {"x-amzn-ErrorType": kind},
        )

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> AWSResponse:
        data = json.dumps(body).encode()
        return AWSResponse(
            "https://env.airflow.eu-west-1.amazonaws.com",
            status,
            {"Content-Type": "application/json", **(headers or {})},
            _Raw(data),
        )


def service_client(fake: FakeAirflow, airflow_version: str) -> tuple[Any, MWAAService]:
    client = mwaa_client()
    service = MWAAService(fake, airflow_version)
    client.meta.events.register("before-send.mwaa.*", service)
    return client, service


@pytest.mark.parametrize(
    ("fake_version", "mwaa_version"), [("2.10.5", "2.10.3"), ("3.3.2", "3.0.6")]
)
def test_invoke_rest_api_carries_the_facade_on_either_generation(
    fake_version: str, mwaa_version: str
) -> None:
    fake = FakeAirflow(fake_version)
    boto, service = service_client(fake, mwaa_version)
    transport = MWAATransport(ENV, client=boto)
    with Client(MWAATransport.base_url, transport=transport) as client:
        assert client.server.api == fake.api  # detected through InvokeRestApi
        run = client.dag_runs.trigger("bridge_plain", conf={"day": "2024-01-01"})
        fake.advance(run.run_id, to="failed")
        failed = client.dag_runs.list("bridge_plain", states=["failed"])
        assert [r.run_id for r in failed] == [run.run_id]
        with pytest.raises(NotFound):
            client.dag_runs.get("bridge_plain", "no-such-run")
    trigger = next(c for c in service.calls if c["Method"] == "POST")
    assert trigger["Path"] == "/dags/bridge_plain/dagRuns"
    assert trigger["Body"]["conf"] == {"day": "2024-01-01"}


def test_async_client_through_invoke_rest_api() -> None:
    fake = FakeAirflow("2.10.5")
    boto, _ = service_client(fake, "2.10.3")

    async def main() -> int:
        async with AsyncClient(
            MWAATransport.base_url, transport=MWAATransport(ENV, client=boto)
        ) as c:
            await c.dag_runs.trigger("bridge_plain")
            return await c.dag_runs.count("bridge_plain")

    assert anyio.run(main) == 1


def test_the_exact_invoke_rest_api_call_with_a_stubber() -> None:
    boto = mwaa_client()
    stubber = Stubber(boto)
    stubber.add_response(
        "get_environment", {"Environment": {"AirflowVersion": "2.10.3"}}, {"Name": ENV}
    )
    stubber.add_response(
        "invoke_rest_api",
        {"RestApiStatusCode": 200, "RestApiResponse": {"dag_runs": [], "total_entries": 0}},
        {
            "Name": ENV,
            "Path": "/dags/~/dagRuns",
            "Method": "GET",
            "QueryParameters": {"state": ["failed", "success"], "limit": "5"},
        },
    )
    stubber.activate()
    transport = MWAATransport(ENV, client=boto)
    request = httpx.Request(
        "GET",
        MWAATransport.base_url + "/api/v1/dags/~/dagRuns",
        params=[("state", "failed"), ("state", "success"), ("limit", "5")],
    )
    response = transport.handle_request(request)
    assert response.status_code == 200 and response.json()["total_entries"] == 0
    stubber.assert_no_pending_responses()
    other = transport.handle_request(
        httpx.Request("GET", MWAATransport.base_url + "/api/v2/version")
    )
    assert other.status_code == 404  # the other generation's path: answered here, as a v1 server


def test_an_aws_refusal_of_invoke_rest_api_is_named() -> None:
    boto = mwaa_client()
    stubber = Stubber(boto)
    stubber.add_client_error("get_environment", "ResourceNotFoundException", "no env", 404)
    stubber.activate()
    with pytest.raises(CredentialsUnavailable, match=r"GetEnvironment.*ResourceNotFoundException"):
        MWAATransport(ENV, client=boto).handle_request(
            httpx.Request("GET", MWAATransport.base_url + "/api/v1/version")
        )
