"""A loopback HTTP proxy that breaks chosen requests on their way to a real server.

Stdlib only (asyncio in a background thread), so it sits in front of the live Airflow servers
in the real tier and in `benchmarks/soak.py`. Each request is read whole, matched against the
rules (first match that still has hits left), and then:

- `reset`: the connection is reset (RST) before anything is forwarded: the server never sees it;
- `reset_after`: forwarded, the server answers, then the connection is reset: the server acted
  but the client never learns the answer (the case that makes a blind resend trigger twice);
- `half`: forwarded, then only the head and half the body are written before closing;
- `slow`: forwarded, the answer is written in ten pieces spread over `delay` seconds;
- `status`: answered by the proxy with `status` (and `Retry-After` if given), not forwarded
  (a 429/5xx storm from a gateway).

Every request is forwarded on a fresh upstream connection with `Connection: close`, so the
upstream answer ends at EOF and needs no parsing beyond its head. `seen` records each request
with the fault applied (None when passed through).
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from types import TracebackType
from typing import Literal
from urllib.parse import urlsplit

FaultKind = Literal["reset", "reset_after", "half", "slow", "status"]
REASONS = {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway"}
REASONS |= {503: "Service Unavailable", 504: "Gateway Timeout"}


@dataclass
class Rule:
    """One fault. `target`: "*", a method ("POST"), a path glob ("/api/v2/dags/*"), or both
    ("POST /api/*/dagRuns"); `times`: how many matching requests it breaks (None: all)."""

    fault: FaultKind
    target: str = "*"
    times: int | None = 1
    status: int = 503
    retry_after: str | None = None
    delay: float = 2.0
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        verb, _, glob = self.target.partition(" ")
        if self.target == "*":
            return True
        if glob:
            return verb == method and fnmatchcase(path, glob)
        if self.target.startswith("/"):
            return fnmatchcase(path, self.target)
        return self.target == method


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    fault: FaultKind | None


@dataclass
class FaultProxy:
    """A proxy to `upstream` (e.g. "http://127.0.0.1:18210"); use as a context manager."""

    upstream: str
    rules: list[Rule] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        parts = urlsplit(self.upstream)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self.url = ""

    def start(self) -> FaultProxy:
        self._thread.start()
        started = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", 0), self._loop
        )
        self._server = started.result(timeout=10)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def close(self) -> None:
        """Stop serving, end every open connection's task, stop the loop."""
        if self._server is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self._server = None

    async def _shutdown(self) -> None:
        assert self._server is not None
        self._server.close()
        current = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def add(self, rule: Rule) -> Rule:
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def faults(self, kind: FaultKind | None = None) -> list[Seen]:
        """Requests broken so far (of one kind)."""
        with self._lock:
            return [s for s in self.seen if s.fault and (kind is None or s.fault == kind)]

    # -- the proxy itself (runs on the background loop) ---------------------------------------

    def _decide(self, method: str, path: str) -> Rule | None:
        with self._lock:
            rule = next((r for r in self.rules if r.matches(method, path)), None)
            if rule is not None:
                rule.hits += 1
            self.seen.append(Seen(method, path, rule.fault if rule else None))
            return rule

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await self._one(reader, writer):
                pass
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:  # closing: end quietly (a cancelled task is reported)
            pass
        finally:
            writer.transport.abort() if writer.is_closing() else writer.close()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Handle one request; False when the connection is done."""
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = [line.split(":", 1) for line in lines[1:] if ":" in line]
        length = next((int(v) for k, v in headers if k.strip().lower() == "content-length"), 0)
        body = await reader.readexactly(length)
        rule = self._decide(method, target.partition("?")[0])
        if rule is not None and rule.fault == "reset":
            _reset(writer)
            return False
        if rule is not None and rule.fault == "status":
            writer.write(_status_answer(rule))
            await writer.drain()
            return True
        answer = await self._forward(lines, headers, body)
        if rule is not None and rule.fault == "reset_after":
            _reset(writer)
            return False
        if rule is not None and rule.fault == "half":
            cut = answer.find(b"\r\n\r\n") + 4
            writer.write(answer[: cut + (len(answer) - cut) // 2])
            await writer.drain()
            _reset(writer)
            return False
        if rule is not None and rule.fault == "slow":
            pieces = 10
            step = max(1, len(answer) // pieces + 1)
            for start in range(0, len(answer), step):
                if start:
                    await asyncio.sleep(rule.delay / pieces)
                writer.write(answer[start : start + step])
                await writer.drain()
        else:
            writer.write(answer)
            await writer.drain()
        return False  # the upstream answered "Connection: close": so do we

    async def _forward(self, lines: list[str], headers: list[list[str]], body: bytes) -> bytes:
        up_reader, up_writer = await asyncio.open_connection(self._host, self._port)
        kept = [f"{k}:{v}" for k, v in headers if k.strip().lower() != "connection"]
        request = "\r\n".join([lines[0], *kept, "Connection: close", "", ""]).encode("latin-1")
        up_writer.write(request + body)
        await up_writer.drain()
        answer = await up_reader.read()
        up_writer.close()
        if b"\r\n\r\n" not in answer:
            return _status_answer(Rule("status", status=502))
        head, _, rest = answer.partition(b"\r\n\r\n")
        kept_head = [
            line
            for line in head.split(b"\r\n")
            if not line.lower().startswith((b"connection:", b"keep-alive:"))
        ]
        return b"\r\n".join([*kept_head, b"Connection: close"]) + b"\r\n\r\n" + rest


def _status_answer(rule: Rule) -> bytes:
    body = f"<html><title>{rule.status} {REASONS.get(rule.status, 'Error')}</title></html>"
    head = [
        f"HTTP/1.1 {rule.status} {REASONS.get(rule.status, 'Error')}",
        "Content-Type: text/html",
        f"Content-Length: {len(body)}",
    ]
    if rule.retry_after is not None:
        head.append(f"Retry-After: {rule.retry_after}")
    return ("\r\n".join([*head, "", body])).encode()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST (SO_LINGER 0), as a crashing proxy or server does."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
