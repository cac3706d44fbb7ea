"""Many loopback Airflow 3 list endpoints in one process, for fleet_scale.py (stdlib only).

`python _fleet_server.py COUNT DELAY` listens on COUNT free 127.0.0.1 ports (one per
simulated server), answers every GET on any of them with one recorded-shape run after DELAY
seconds (asyncio: the waits overlap), over HTTP/1.1 keep-alive, prints the ports on one
line, and exits when its stdin closes. It raises its own open-file soft limit to the hard
limit first (a listening socket and a connection per server).
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys

RUN = {
    "dag_run_id": "r1",
    "dag_id": "etl",
    "logical_date": "2024-01-01T00:00:00Z",
    "start_date": "2024-01-01T00:00:01Z",
    "end_date": None,
    "run_type": "manual",
    "state": "running",
    "conf": {},
    "note": None,
}
BODY = json.dumps({"dag_runs": [RUN], "total_entries": 1}).encode()
ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    + f"Content-Length: {len(BODY)}\r\n\r\n".encode()
    + BODY
)


def raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


async def serve(count: int, delay: float) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                await asyncio.sleep(delay)
                writer.write(ANSWER)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    servers = [await asyncio.start_server(handle, "127.0.0.1", 0, backlog=64) for _ in range(count)]
    ports = [s.sockets[0].getsockname()[1] for s in servers]
    print(" ".join(map(str, ports)), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


def main() -> None:
    raise_fd_limit()
    asyncio.run(serve(int(sys.argv[1]), float(sys.argv[2])))


if __name__ == "__main__":
    main()
