"""A minimal loopback Airflow 3 run endpoint for request_overhead.py (stdlib only).

`python _loopback.py BODY_FILE` serves that file's bytes as the answer to every GET, over
HTTP/1.1 with keep-alive, on a free 127.0.0.1 port that it prints as its first line. It
runs in its own process, so its work is not billed to the client being timed, and every
contender talks to the same server. It exits when its stdin closes.
"""

from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def main() -> None:
    body = Path(sys.argv[1]).read_bytes()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: a client reuses its connection
        # Headers and body go out in two writes: without this, Nagle's algorithm holds the
        # body until the client's delayed ACK (40 ms a call on Linux loopback).
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin
    server.shutdown()


if __name__ == "__main__":
    main()
