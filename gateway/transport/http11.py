"""HTTP/1.1 transport on asyncio streams: a keep-alive connection pool per subgraph.

Measured on the gateway benchmark, httpx's pool (httpcore over anyio) cost about 7x
more per subgraph request than a plain asyncio stream (scripts/bench/gateway), and
the gateway's requests are always the same shape: a JSON POST to one origin. This
client does only that: one write per request, Content-Length or chunked responses,
keep-alive reuse, and one retry when a reused idle connection turns out closed
(queries only: a mutation is never sent twice, and avoids long-idle connections).
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import orjson

from ..errors import SubgraphBadResponse, SubgraphError, SubgraphUnavailable
from .boundary import decode_response, translate_errors
from .models import FetchProgress, current_progress

if TYPE_CHECKING:
    from .models import SubgraphRequest, SubgraphResponse

__all__ = ["Http11Transport"]

_MAX_HEADER_BYTES = 64 * 1024
# A mutation does not reuse a connection idle for longer than this: servers close idle
# keep-alive connections (uvicorn after 5 s), and a mutation cannot be retried.
_MUTATION_MAX_IDLE = 2.0


class _StaleConnection(Exception):
    """A reused keep-alive connection was closed by the server before answering."""


class _SubgraphConnection:
    __slots__ = ("idle_since", "reader", "reused", "writer")

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.reused = False
        self.idle_since = 0.0

    def close(self) -> None:
        self.writer.close()

    async def roundtrip(
        self, subgraph: str, payload: bytes
    ) -> tuple[int, bytes, bool, bytes | None]:
        """Send one request; return (status, body, keep_alive, Cache-Control)."""
        reader = self.reader
        try:
            self.writer.write(payload)
            await self.writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if self.reused and not exc.partial:
                raise _StaleConnection from exc
            raise
        except ConnectionError as exc:
            # The server dropped an idle keep-alive connection under our write.
            if self.reused:
                raise _StaleConnection from exc
            raise
        except asyncio.LimitOverrunError:
            raise SubgraphBadResponse(subgraph, "response headers too large") from None
        status, length, chunked, keep_alive, cache_control = _parse_head(subgraph, head)
        if chunked:
            body = await _read_chunked(subgraph, reader)
        elif length is not None:
            body = await reader.readexactly(length)
        else:
            body = await reader.read()
            keep_alive = False
        return status, body, keep_alive, cache_control


def _parse_head(
    subgraph: str, head: bytes
) -> tuple[int, int | None, bool, bool, bytes | None]:
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise SubgraphBadResponse(subgraph, "not an HTTP/1.1 response")
    status = int(parts[1])
    keep_alive = parts[0] == b"HTTP/1.1"
    length: int | None = None
    chunked = False
    cache_control: bytes | None = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            value = value.strip()
            if not value.isdigit():
                raise SubgraphBadResponse(subgraph, "invalid Content-Length")
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            token = value.strip().lower()
            if token == b"close":
                keep_alive = False
            elif token == b"keep-alive":
                keep_alive = True
        elif name == b"cache-control":
            cache_control = value
    return status, length, chunked, keep_alive, cache_control


async def _read_chunked(subgraph: str, reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    while True:
        line = await reader.readuntil(b"\r\n")
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise SubgraphBadResponse(subgraph, "invalid chunk size") from None
        if size == 0:
            # Trailers (rare) end with an empty line.
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)


class Http11Transport:
    """POSTs GraphQL requests to one subgraph URL over pooled keep-alive connections.

    At most `max_connections` are open at once; callers beyond that wait for one to
    be free. Everything, connecting included, happens within `timeout`.
    """

    def __init__(
        self,
        name: str,
        url: str,
        *,
        timeout: float = 30.0,
        max_connections: int = 64,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"subgraph {name!r}: unsupported URL {url!r}")
        self.name = name
        self.url = url
        self.timeout = timeout
        self._host = parts.hostname
        self._tls = parts.scheme == "https"
        self._port = parts.port or (443 if self._tls else 80)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        default_port = self._port == (443 if self._tls else 80)
        host_header = parts.netloc if not default_port else self._host
        self._prefix = (
            f"POST {target} HTTP/1.1\r\n"
            f"host: {host_header}\r\n"
            "content-type: application/json\r\n"
            "accept: application/graphql-response+json, application/json\r\n"
        ).encode("latin-1")
        self._idle: deque[_SubgraphConnection] = deque()
        self._slots = asyncio.Semaphore(max_connections)
        self._ssl: ssl.SSLContext | None = (
            ssl.create_default_context() if self._tls else None
        )

    async def fetch(self, request: SubgraphRequest) -> SubgraphResponse:
        body = orjson.dumps(request.body())
        head = [self._prefix]
        for key, value in request.headers.items():
            # A CR or LF would let a forwarded header inject its own lines.
            if "\r" in key or "\n" in key or "\r" in value or "\n" in value:
                continue
            head.append(f"{key}: {value}\r\n".encode("latin-1"))
        head.append(b"content-length: %d\r\n\r\n" % len(body))
        payload = b"".join(head) + body
        progress = current_progress.get() or FetchProgress()
        progress.sent = False
        try:
            with translate_errors(self.name, self.timeout):
                async with asyncio.timeout(self.timeout), self._slots:
                    status, content, cache_control = await self._send(
                        payload, request.idempotent, progress
                    )
                return decode_response(self.name, status, content, cache_control)
        except SubgraphError as error:
            # Waiting for a slot or a connection: the subgraph saw nothing.
            if not progress.sent:
                error.sent = False
            raise

    async def _send(
        self, payload: bytes, idempotent: bool, progress: FetchProgress
    ) -> tuple[int, bytes, bytes | None]:
        max_idle = None if idempotent else _MUTATION_MAX_IDLE
        for _ in range(2 if idempotent else 1):
            connection = self._idle_connection(max_idle) or await self._connect()
            progress.sent = True
            try:
                status, content, keep_alive, cache_control = await connection.roundtrip(
                    self.name, payload
                )
            except _StaleConnection:
                connection.close()
                continue
            except BaseException:
                connection.close()
                raise
            if keep_alive:
                connection.reused = True
                connection.idle_since = asyncio.get_running_loop().time()
                self._idle.append(connection)
            else:
                connection.close()
            return status, content, cache_control
        raise SubgraphUnavailable(self.name, "the connection was closed")

    def _idle_connection(
        self, max_idle: float | None = None
    ) -> _SubgraphConnection | None:
        now = asyncio.get_running_loop().time()
        while self._idle:
            connection = self._idle.pop()
            # EOF already seen: the server closed it while it sat in the pool.
            if connection.reader.at_eof() or connection.writer.is_closing():
                connection.close()
                continue
            if max_idle is not None and now - connection.idle_since > max_idle:
                # Too old to trust with a mutation; queries may still use it later.
                self._idle.appendleft(connection)
                return None
            return connection
        return None

    async def _connect(self) -> _SubgraphConnection:
        reader, writer = await asyncio.open_connection(
            self._host,
            self._port,
            ssl=self._ssl,
            server_hostname=self._host if self._tls else None,
            limit=_MAX_HEADER_BYTES,
        )
        return _SubgraphConnection(reader, writer)

    async def aclose(self) -> None:
        while self._idle:
            connection = self._idle.pop()
            connection.close()
            try:
                await connection.writer.wait_closed()
            except OSError:
                continue
