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
    """A running loopback server; `url` is its base URL. Stop it with `close()` or `with`.

    It answers exactly what the fake's transports answer (`FakeAirflow.plan` and `respond`
    decide), over HTTP/1.1 from a thread per connection; `FakeAirflow.serve()` builds it.

    Args:
        fake: The fake to serve.
        host: The address to listen on (default: loopback only); an IPv6 address works.
        port: The TCP port; 0 (default) lets the OS pick a free one (kept in `port`).

    Raises:
        OSError: The address cannot be bound (port in use, unknown host).
    """

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
        """The base URL to give a client, e.g. "http://127.0.0.1:40123" (IPv6 in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def close(self) -> None:
        """Stop serving and release the socket; safe to call more than once, from any
        thread. Waits up to one 0.05 s poll for the serving loop to notice."""
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.server_close()

    def wait(self, stop: threading.Event | None = None) -> None:
        """Block until the server is closed (from another thread), `stop` is set, or Ctrl-C.

        Checks every 0.05 s; it does not close the server itself.

        Args:
            stop: An event another thread sets to end the wait (None: wait for `close()`
                or Ctrl-C, whose KeyboardInterrupt propagates).
        """
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

    Ctrl-C ends it quietly; either way the server is closed before it returns.

    Args:
        version: The Airflow release to answer as (see `FakeAirflow`).
        host: The address to listen on (default: loopback only).
        port: The TCP port (default 8080, Airflow's own; 0: one the OS picks).
        ready: Called with the server's base URL once it accepts connections, e.g. to
            print it or to hand it to another thread.
        stop: An event another thread sets to stop the server (None: only Ctrl-C).
        **options: Further `FakeAirflow` arguments (users, roles, dags, auto, clock,
            token_lifetime, auth).

    Raises:
        ValueError: An invalid `version` or option value (see `FakeAirflow`).
        TypeError: `options` names no `FakeAirflow` argument.
        OSError: The address cannot be bound (port in use, unknown host).
    """
    from airflow_bridge.testing._fake import FakeAirflow

    with FakeAirflow(version, **options).serve(host, port) as server:
        if ready is not None:
            ready(server.url)
        with contextlib.suppress(KeyboardInterrupt):
            server.wait(stop)
