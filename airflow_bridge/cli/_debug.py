"""`--debug` and `-v`: what the CLI sends and what it decided, on stderr.

`--debug` attaches a handler to the `airflow_bridge` logger, where the client logs each
HTTP attempt (operation, method, path and query, status, seconds, attempt number; never a
header, so no credential). In a fleet several servers answer at once, so each server's
requests go through `NamingTransport`, which notes the server's name in a context variable
that the handler prints with the line. `-v` prints the CLI's own decisions (`note`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import ContextVar

import click
import httpx

from airflow_bridge.fleet._config import redact_url

_server: ContextVar[str] = ContextVar("airflow_bridge_cli_server", default="-")


class NamingTransport(httpx.AsyncBaseTransport):
    """Sends through `inner`, noting which fleet member the request is for."""

    def __init__(self, name: str, url: str, inner: httpx.AsyncBaseTransport) -> None:
        self._label = f"{name} {redact_url(url)}"
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        _server.set(self._label)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


class _Echo(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"debug: {_server.get()}: {record.getMessage()}", err=True)


def enable_debug() -> Callable[[], None]:
    """Print the `airflow_bridge` logger's DEBUG lines (each HTTP attempt) to stderr; returns
    the function that stops it (the command calls it when it ends)."""
    logger = logging.getLogger("airflow_bridge")
    handler, level = _Echo(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)

    def stop() -> None:
        logger.removeHandler(handler)
        logger.setLevel(level)

    return stop


def note(verbose: bool, message: str) -> None:
    """One of the CLI's decisions, shown with -v."""
    if verbose:
        click.echo(f"airflow-bridge: {message}", err=True)
