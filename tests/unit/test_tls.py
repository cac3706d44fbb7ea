"""Issue 11: TLS is verified by default, client certificates work through `verify=SSLContext`,
and a redirect to another host gets nothing from the client (redirects are not followed).

Servers are stdlib HTTP servers on loopback threads: an HTTPS one whose certificate is issued
by a CA made for the test (trustme) and which requires a client certificate from that CA, and
plain ones for the redirect. Each answers like Airflow 2.10.5 (recorded bodies).
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from airflow_bridge import Client
from airflow_bridge.errors import Redirected, TransportError

trustme = pytest.importorskip("trustme")

RECORDED = json.loads(
    (Path(__file__).resolve().parents[2] / "fixtures" / "2.10.5" / "get.json").read_text()
)
RUN_PATH = RECORDED["request"]["path"]
RUN_ID = RECORDED["response"]["body"]["dag_run_id"]
VERSION = {"version": "2.10.5", "git_version": ".release:abc"}


class Recorder(BaseHTTPRequestHandler):
    """Answers /api/v1/version and the recorded run; records every request and the client
    certificate's subject; `redirect_to` makes it answer 302 to another server instead."""

    redirect_to: str | None = None
    seen: list[dict[str, Any]]

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        peer = self.connection.getpeercert() if isinstance(self.connection, ssl.SSLSocket) else None
        self.seen.append(
            {"method": self.command, "path": self.path, "headers": dict(self.headers), "peer": peer}
        )
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        if self.redirect_to is not None:
            self.send_response(302)
            self.send_header("Location", self.redirect_to + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/api/v1/version":
            body: Any = VERSION
        elif self.path == RUN_PATH:
            body = RECORDED["response"]["body"]
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def serve(context: ssl.SSLContext | None = None, redirect_to: str | None = None) -> Any:
    seen: list[dict[str, Any]] = []
    handler = type("Handler", (Recorder,), {"seen": seen, "redirect_to": redirect_to})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


@pytest.fixture(scope="module")
def ca() -> Any:
    return trustme.CA()


@pytest.fixture
def mutual_tls(ca: Any) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """An HTTPS server that refuses any client without a certificate issued by `ca`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED
    server, seen = serve(context)
    yield f"https://127.0.0.1:{server.server_port}", seen
    server.shutdown()
    server.server_close()


def client_context(ca: Any, *, with_cert: bool) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)  # a private CA: verify=ssl.create_default_context(cafile=...)
    if with_cert:
        ca.issue_cert("bridge-client@example.com").configure_cert(context)  # load_cert_chain
    return context


def test_a_client_certificate_given_through_verify_reaches_a_server_that_requires_one(
    ca: Any, mutual_tls: tuple[str, list[dict[str, Any]]]
) -> None:
    url, seen = mutual_tls
    with Client(url, token="t", verify=client_context(ca, with_cert=True)) as client:
        run = client.dag_runs.get("bridge_plain", RUN_ID)
        assert client.server_info().version == "2.10.5"
    assert run.run_id == RUN_ID
    names = [str(entry["peer"].get("subjectAltName")) for entry in seen]
    assert names and all("bridge-client@example.com" in name for name in names), names


def test_without_the_client_certificate_the_handshake_fails_as_a_transport_error(
    ca: Any, mutual_tls: tuple[str, list[dict[str, Any]]]
) -> None:
    url, seen = mutual_tls
    with (
        Client(url, token="t", verify=client_context(ca, with_cert=False)) as client,
        pytest.raises(TransportError),
    ):
        client.dag_runs.get("bridge_plain", RUN_ID)
    assert seen == []


def test_tls_is_verified_by_default(ca: Any, mutual_tls: tuple[str, list[dict[str, Any]]]) -> None:
    """The test CA is in no system store: the default `verify=True` refuses the server."""
    url, seen = mutual_tls
    with Client(url, token="t") as client, pytest.raises(TransportError, match="CERTIFICATE"):
        client.dag_runs.get("bridge_plain", RUN_ID)
    assert seen == []


# -- redirects ---------------------------------------------------------------------------------


@pytest.fixture
def redirecting() -> Iterator[tuple[str, list[dict[str, Any]], list[dict[str, Any]]]]:
    """A server that redirects everything to a second one (another port: another origin)."""
    target, target_seen = serve()
    other = f"http://localhost:{target.server_port}"
    source, source_seen = serve(redirect_to=other)
    yield f"http://127.0.0.1:{source.server_port}", source_seen, target_seen
    for server in (source, target):
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "credentials",
    [{"username": "alice", "password": "pw-secret"}, {"token": "tok-secret"}],
    ids=["basic", "token"],
)
@pytest.mark.parametrize("api", ["auto", "v1", "v2"])
def test_a_redirect_to_another_host_is_not_followed_and_that_host_receives_nothing(
    redirecting: tuple[str, list[dict[str, Any]], list[dict[str, Any]]],
    credentials: dict[str, str],
    api: str,
) -> None:
    url, source_seen, target_seen = redirecting
    with Client(url, api=api, **credentials) as client:  # type: ignore[arg-type]
        with pytest.raises(Redirected) as caught:
            client.dag_runs.get("bridge_plain", RUN_ID)
        with pytest.raises(Redirected):
            client.dag_runs.trigger("bridge_plain", run_id="r1")
    assert caught.value.location.startswith("http://localhost:")
    assert source_seen  # the first server was asked
    assert target_seen == []  # the second got no request at all, so no credentials
