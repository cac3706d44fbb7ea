"""A run list of any length, served a page at a time without holding the runs (stdlib only).

Every run is one recorded run (fixtures/<version>/list_limit_over_max.json, the first) with
its `dag_run_id` made unique (`run-000042`) and `id` ascending, so a listing of 100,000 runs
costs the server one page of memory. A page answers `offset`/`limit` like every release
(with `total_entries`), or `cursor`/`limit` like Airflow 3.2.2+ keyset pages (`next_cursor`,
a null total) when `keyset` is on and the request asks for a cursor.

* `Transport(total, api)`: an in-process httpx transport (memory.py: no socket, no thread);
* `python _runs_server.py TOTAL API DELAY KEYSET`: a loopback HTTP/1.1 keep-alive server in
  its own process (pagination.py) that answers every request after DELAY seconds, one thread
  per connection; it prints its port and exits when its stdin closes.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
VERSIONS = {"v1": "2.10.5", "v2": "3.3.2"}


def recorded_run(api: str) -> dict[str, Any]:
    path = FIXTURES / VERSIONS[api] / "list_limit_over_max.json"
    body = json.loads(path.read_text())["response"]["body"]
    run: dict[str, Any] = body["dag_runs"][0]
    return run


class Pages:
    """The answers of a list endpoint over `total` runs."""

    def __init__(self, total: int, api: str, *, keyset: bool = True) -> None:
        self.total = total
        self.keyset = keyset
        run = recorded_run(api)
        run["dag_run_id"] = "\0"
        # the run's JSON, split where its id goes: a page is a join, not a dict per run
        self.before, self.after = json.dumps(run).split('"\\u0000"')

    def body(self, query: dict[str, str]) -> bytes:
        limit = int(query.get("limit", "100"))
        cursor = query.get("cursor") if self.keyset else None
        start = int(cursor or 0) if cursor is not None else int(query.get("offset", "0"))
        stop = min(start + limit, self.total)
        runs = ",".join(f'{self.before}"run-{i:06d}"{self.after}' for i in range(start, stop))
        if cursor is not None:
            more = str(stop) if stop < self.total else None
            tail = f'"total_entries":null,"next_cursor":{json.dumps(more)},"previous_cursor":null'
        else:
            tail = f'"total_entries":{self.total}'
        return f'{{"dag_runs":[{runs}],{tail}}}'.encode()


def query_of(url: str) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlsplit(url).query, True).items()}


def transport(total: int, api: str, *, keyset: bool = True) -> Any:
    """An in-process httpx transport answering the list endpoint (imports httpx lazily)."""
    import httpx

    pages = Pages(total, api, keyset=keyset)

    def answer(request: httpx.Request) -> httpx.Response:
        body = pages.body(query_of(str(request.url)))
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    return httpx.MockTransport(answer)


def main() -> None:
    total, api, delay, keyset = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4]
    pages = Pages(total, api, keyset=keyset == "keyset")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # see _loopback.py

        def do_GET(self) -> None:
            time.sleep(delay)
            body = pages.body(query_of(self.path))
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
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
