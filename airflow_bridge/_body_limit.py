"""A bound on how many bytes one answer may bring, enforced while it streams in.

The biggest answer the API gives is a page of at most 100 runs; anything far larger is a
proxy's dump, a misrouted download or a decompression bomb, and reading it whole would take
unbounded memory. `BodyLimit` is an httpx response hook: it runs before httpx reads the body,
refuses a `Content-Length` over the bound at once, and otherwise wraps the body's stream so the
read stops with `InvalidResponse` as soon as the bound is passed. For `gzip` and `deflate`
bodies (what httpx asks for by default) the decoded size is counted too, so a small compressed
body cannot expand past the bound; a body that is not valid gzip/deflate is `InvalidResponse`
as well (httpx would raise its own `DecodingError`). One hook serves `httpx.Client` and
`httpx.AsyncClient`: it does no I/O, and returns an awaitable the async client awaits.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Generator, Iterator
from typing import Any

import httpx

from airflow_bridge.errors import InvalidArgument, InvalidResponse

#: Bytes one answer may have, decoded, unless `max_body=` says otherwise: 64 MiB. A page of
#: 100 runs of 3.3.2 is about 80 KB (fixtures/3.3.2/list_limit_over_max.json) plus its confs.
DEFAULT_MAX_BODY = 64 * 1024 * 1024


class BodyLimit:
    """An httpx response hook that stops reading an answer past `limit` bytes.

    Args:
        limit: The most bytes a body may have (its raw and, for gzip/deflate, decoded size).
        trust_length: Take a `Content-Length` within the bound, on a body that is not
            compressed, as its size and leave the stream unwrapped (no counting per chunk).
            Right for httpx's own network transport: its HTTP/1.1 parser (h11) never delivers
            more bytes than declared (the client sets it when it made its transport itself).
            A transport that is not the network (a mock, a WSGI app) may deliver more, so the
            default is False.
    """

    def __init__(self, limit: int = DEFAULT_MAX_BODY, *, trust_length: bool = False) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InvalidArgument(f"max_body must be a positive number of bytes, not {limit!r}")
        self.limit = limit
        self.trust_length = trust_length

    def __repr__(self) -> str:
        trusted = ", trust_length=True" if self.trust_length else ""
        return f"BodyLimit({self.limit}{trusted})"

    def __call__(self, response: httpx.Response) -> _Done:
        declared, encoding = _length_and_encoding(response.headers)
        if declared is not None and declared > self.limit:
            raise _too_large(response, f"Content-Length {declared:,}", self.limit)
        if declared is None or encoding or not self.trust_length:
            response.stream = _Bounded(response, self.limit, _counter(encoding))
        return _DONE


def _length_and_encoding(headers: httpx.Headers) -> tuple[int | None, str]:
    """The declared `Content-Length` (None when absent, repeated or not a number) and the
    `Content-Encoding` in lower case ("" when absent or `identity`), in one pass over the
    headers (each `headers.get` is a pass of its own)."""
    lengths: list[bytes] = []
    encodings: list[bytes] = []
    for key, value in headers.raw:
        name = key.lower()
        if name == b"content-length":
            lengths.append(value)
        elif name == b"content-encoding":
            encodings.append(value)
    declared = int(lengths[0]) if len(lengths) == 1 and lengths[0].isdigit() else None
    encoding = b", ".join(encodings).decode("latin-1").strip().lower()
    return declared, "" if encoding == "identity" else encoding


class _Done:
    """What the hook returns: awaited by httpx.AsyncClient, ignored by httpx.Client."""

    def __await__(self) -> Generator[Any, None, None]:
        yield from ()


_DONE = _Done()  # stateless: one serves every response


class _Decoded:
    """Counts the decoded size of a gzip or deflate body without keeping it."""

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        # gzip, or a zlib stream for deflate; a raw deflate stream is tried on failure (as
        # httpx's own decoder does).
        self._inflate = zlib.decompressobj(zlib.MAX_WBITS | 32)
        self._started = False
        self.size = 0

    def feed(self, chunk: bytes, limit: int) -> bool:
        """Count `chunk`'s decoded bytes; False when it is not valid for its encoding."""
        data = chunk
        while data:
            try:
                out = self._inflate.decompress(data, limit + 1 - self.size)
            except zlib.error:
                if self._encoding == "deflate" and not self._started:
                    self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                    self._started = True
                    continue
                return False
            self._started = True
            self.size += len(out)
            if self.size > limit:
                return True
            data = self._inflate.unconsumed_tail
        return True


def _counter(encoding: str) -> _Decoded | None:
    return _Decoded(encoding) if encoding in ("gzip", "deflate") else None


class _Bounded(httpx.SyncByteStream, httpx.AsyncByteStream):
    """The response's own stream, counted: raw bytes, and decoded bytes when compressed."""

    def __init__(self, response: httpx.Response, limit: int, decoded: _Decoded | None) -> None:
        self._response = response
        self._inner = response.stream
        self._limit = limit
        self._decoded = decoded
        self._size = 0

    def _check(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size > self._limit:
            raise _too_large(self._response, f"more than {self._limit:,} bytes", self._limit)
        if self._decoded is None:
            return
        if not self._decoded.feed(chunk, self._limit):
            raise InvalidResponse(
                f"the body is not valid {self._decoded._encoding} as its Content-Encoding says",
                method=self._response.request.method,
                url=str(self._response.request.url),
            )
        if self._decoded.size > self._limit:
            shown = f"more than {self._limit:,} bytes once decoded"
            raise _too_large(self._response, shown, self._limit)

    def __iter__(self) -> Iterator[bytes]:
        assert isinstance(self._inner, httpx.SyncByteStream)
        for chunk in self._inner:
            self._check(chunk)
            yield chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        assert isinstance(self._inner, httpx.AsyncByteStream)
        async for chunk in self._inner:
            self._check(chunk)
            yield chunk

    def close(self) -> None:
        assert isinstance(self._inner, httpx.SyncByteStream)
        self._inner.close()

    async def aclose(self) -> None:
        assert isinstance(self._inner, httpx.AsyncByteStream)
        await self._inner.aclose()


def _too_large(response: httpx.Response, size: str, limit: int) -> InvalidResponse:
    return InvalidResponse(
        f"HTTP {response.status_code} answer too large ({size}; the limit is {limit:,} "
        "bytes: raise max_body= if the server really sends this much)",
        method=response.request.method,
        url=str(response.request.url),
    )
