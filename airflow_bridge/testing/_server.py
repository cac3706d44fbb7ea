"""The fake on a real loopback socket, for tools in any language (stdlib http.server).

Same answers as the transports: `FakeAirflow.respond` decides, this module only speaks
HTTP/1.1. A dropped connection is a socket closed without an answer.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl

from airflow_bridge.testing._http import Request

if TYPE_CHECKING:
    from airflow_bridge.testing._fake import FakeAirflow


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: ClassVar[FakeAirflow]

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm and
        # delayed ACKs add ~40 ms to every exchange.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = do_OPTIONS = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests and the CLI print what they need."""

    def _serve(self) -> None:
        raw_path, _, query = self.path.partition("?")
        length = int(self.headers.get("content-length") or 0)
        request = Request(
            method=self.command,
            raw_path=raw_path,
            query=parse_qsl(query, keep_blank_values=True),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        outcome = self.fake.plan(request)
        if outcome.delay:
            time.sleep(outcome.delay)
        if outcome.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        response = self.fake.respond(request, outcome)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.stream is None:
            self.send_header("content-length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
            return
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        for chunk in response.stream:
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")


class FakeServer:
    """A running loopback server; `url` is its base URL. Stop it with `close()` or `with`."""

    def __init__(self, fake: FakeAirflow, host: str = "127.0.0.1", port: int = 0) -> None:
        handler = type("FakeAirflowHandler", (_Handler,), {"fake": fake})
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self._httpd.daemon_threads = True
        self.host = host
        self.port: int = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},  # how long close() may wait for the loop
            name=f"fake-airflow-{self.port}",
            daemon=True,
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def close(self) -> None:
        """Stop serving; safe to call more than once, from any thread."""
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.server_close()

    def wait(self, stop: threading.Event | None = None) -> None:
        """Block until the server is closed (from another thread), `stop` is set, or Ctrl-C."""
        while self._thread.is_alive() and not (stop and stop.is_set()):
            self._thread.join(0.05)

    def __enter__(self) -> FakeServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def serve_forever(
    version: str = "3.3.2",
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    ready: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
    **options: Any,
) -> None:
    """Run a fake of `version` until Ctrl-C or `stop` is set (for `airflow-bridge fake-server`).

    `ready` gets the server's URL once it accepts connections; `options` go to
    `FakeAirflow` (users, roles, dags, auto...).
    """
    from airflow_bridge.testing._fake import FakeAirflow

    with FakeAirflow(version, **options).serve(host, port) as server:
        if ready is not None:
            ready(server.url)
        with contextlib.suppress(KeyboardInterrupt):
            server.wait(stop)
