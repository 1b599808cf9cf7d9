"""Time and connection limits at the socket, below the app (issue 10, item 4).

Stock uvicorn holds a connection for as long as the client likes while it sends its
request line, headers or body slowly (slowloris), and accepts any number of
connections. `run_server` serves the app through an httptools protocol that bounds
each of these:

- `max_connections`: a connection accepted while this many are open (HTTP and
  websocket alike) is closed at once, before a byte is read or written.
- `header_timeout`: the request line and headers must be complete this long after
  the connection opens or, on a reused connection, after the first byte of the next
  request (the idle time before that byte is `keepalive_timeout`'s). Past it the
  connection is closed: silently if nothing was sent, else after a 408.
- `body_timeout`: the body must be complete this long after the headers; past it
  the request gets a 408 if the app has not started its response, and the
  connection is closed. A response that streams for hours (SSE) and a websocket are
  not timed: only the reading of the request is.
- `max_header_bytes`: a request line plus headers larger than this gets a 431
  (httptools itself has no limit).
- `max_websocket_message_bytes`: uvicorn's `ws_max_size`; a larger message ends
  the websocket with close code 1009.

Each refusal is a GraphQL-shaped JSON error with `extensions.code` (REQUEST_TIMEOUT,
REQUEST_HEADER_FIELDS_TOO_LARGE) and `connection: close`.

It also writes a response's head and its first body part in one `write` (uvicorn
writes the head as soon as the app starts the response, then the body: two sends,
two TCP segments with TCP_NODELAY, and often two wake-ups of the client). See
`JoinedWrites`.
"""

from __future__ import annotations

import contextlib
import logging
import math
import sys
import time
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar

import orjson
import uvicorn
from uvicorn.config import LOGGING_CONFIG, STARTUP_FAILURE
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

if TYPE_CHECKING:
    import asyncio

    from uvicorn.server import ServerState

__all__ = ["JoinedWrites", "ServerLimits", "run_server", "server_config"]

logger = logging.getLogger("agora.gateway")

# At most one "connection limit reached" warning per this many seconds: a flood of
# refused connections must not become a flood of log lines.
_CAPACITY_WARNING_INTERVAL = 10.0


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """Limits the server enforces on each client connection, before the app sees it.

    Times are in seconds, sizes in bytes; every value must be positive. The defaults
    suit production behind or without a proxy; see the README for sizing.
    """

    # Open client connections (HTTP and websocket) per process; one more is closed.
    max_connections: int = 1000
    # From connect, or from a reused connection's first byte, to the end of headers.
    header_timeout: float = 10.0
    # From the end of the headers to the end of the body.
    body_timeout: float = 30.0
    # Idle time allowed on a connection between requests (uvicorn's own timer).
    keepalive_timeout: float = 5.0
    # Request line plus headers. Unfinished ones are measured per read, so they may
    # overshoot by one read (<= 256 KiB) before the 431.
    max_header_bytes: int = 32 * 1024
    # A websocket message, after decompression; a larger one closes the socket
    # (1009) before it is buffered whole. uvicorn's own default is 16 MiB.
    max_websocket_message_bytes: int = 1024 * 1024
    # Connections the kernel queues before the server accepts them.
    backlog: int = 2048
    # On shutdown, how long open responses (SSE streams) may run before being cut.
    shutdown_timeout: float = 10.0

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if not value > 0:
                raise ValueError(
                    f"ServerLimits.{field.name} must be greater than 0, got {value!r}"
                )


def server_config(
    app: Any,
    *,
    host: str,
    port: int,
    log_level: str,
    limits: ServerLimits,
    log_config: Any = LOGGING_CONFIG,
) -> uvicorn.Config:
    """The uvicorn configuration that serves `app` under `limits` (httptools
    required); `uvicorn.Server(config).serve()` runs it on the current loop.
    `log_config` None leaves logging as the process configured it."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        log_config=log_config,
        http=_protocol_for(limits),
        ws_max_size=limits.max_websocket_message_bytes,
        backlog=limits.backlog,
        # uvicorn would let any loopback client rewrite its own address from
        # X-Forwarded-For; the gateway decides that itself (trust_forwarded_for).
        proxy_headers=False,
        # uvicorn waits in whole seconds; round up so a limit is never shortened.
        timeout_graceful_shutdown=math.ceil(limits.shutdown_timeout),
    )


def run_server(
    app: Any,
    *,
    host: str,
    port: int,
    log_level: str,
    limits: ServerLimits,
    log_config: Any = LOGGING_CONFIG,
) -> None:
    """Serve `app` until SIGINT or SIGTERM, like `uvicorn.run`; exits the process
    with uvicorn's startup-failure status if the server cannot start."""
    server = uvicorn.Server(
        server_config(
            app,
            host=host,
            port=port,
            log_level=log_level,
            limits=limits,
            log_config=log_config,
        )
    )
    # uvicorn re-raises a captured SIGINT once it has shut down cleanly.
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def _protocol_for(limits: ServerLimits) -> type[_LimitedHttpProtocol]:
    # uvicorn builds protocols from a class and its own arguments: the limits ride on
    # a subclass made for this server.
    class LimitedHttpProtocol(_LimitedHttpProtocol):
        pass

    LimitedHttpProtocol.limits = limits
    return LimitedHttpProtocol


def _header_size(url: bytes, headers: list[tuple[bytes, bytes]]) -> int:
    """The request line and headers' size on the wire, give or take the method."""
    return len(url) + sum(len(name) + len(value) + 4 for name, value in headers)


class _LimitedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with header and body deadlines, a header size
    limit and a cap on open connections.

    Besides the header clock armed at connect, a timer is armed only when a read
    leaves a request unfinished: a request that arrives in one read costs none.
    Websocket upgrades hand the socket to uvicorn's websocket protocol, which stays
    in `server_state.connections` (the count `max_connections` bounds) until it
    closes.
    """

    limits: ClassVar[ServerLimits]
    # When the last "connection limit reached" warning was logged (monotonic).
    last_capacity_warning: ClassVar[float] = -math.inf

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        # uvicorn types it int from its Config, but only hands it to call_later.
        self.timeout_keep_alive = self.limits.keepalive_timeout  # type: ignore[assignment]
        self._header_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        # Between the end of one request and the end of the next one's headers.
        self._awaiting_headers = True
        # A byte of the awaited request has arrived (even a stray CRLF, which the
        # parser skips): its header clock runs.
        self._request_begun = False
        # Between the end of the headers and the end of the body.
        self._reading_body = False
        # Bytes of the reads that started while awaiting headers: bounds a request
        # that never ends its headers (httptools buffers an unfinished value whole),
        # and when small enough spares measuring finished ones.
        self._unparsed_bytes = 0
        # The read being parsed started while awaiting headers (was counted).
        self._read_counted = False
        # The awaited request's first byte came in a counted read.
        self._begun_in_counted_read = False
        self._headers_too_large = False
        self._upgraded = False

    def connection_made(  # type: ignore[override]  # as uvicorn's: a TCP transport
        self, transport: asyncio.Transport
    ) -> None:
        limit = self.limits.max_connections
        if len(self.connections) >= limit:
            # Refused before reading: a 503 could only be answered after reading the
            # request, which would hold the slot the limit is there to keep free.
            self.transport = transport
            transport.close()
            logger.debug("refused a connection: %d open", len(self.connections))
            return
        super().connection_made(transport)
        if len(self.connections) == limit:
            self._warn_at_capacity()
        self._header_timer = self.loop.call_later(
            self.limits.header_timeout, self._on_header_timeout
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # Every byte of a read that starts between requests belongs to the next one.
        self._read_counted = self._awaiting_headers
        if self._read_counted:
            self._unparsed_bytes += len(data)
            self._request_begun = True
        super().data_received(data)
        if self._upgraded or self.transport.is_closing():
            return
        if self._headers_too_large or (
            self._awaiting_headers
            and self._unparsed_bytes > self.limits.max_header_bytes
        ):
            self._refuse_headers()
            return
        if (
            self._awaiting_headers
            and self._request_begun
            and self._header_timer is None
        ):
            self._header_timer = self.loop.call_later(
                self.limits.header_timeout, self._on_header_timeout
            )
        if self._reading_body and self._body_timer is None:
            self._body_timer = self.loop.call_later(
                self.limits.body_timeout, self._on_body_timeout
            )

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._request_begun = True
        self._begun_in_counted_read = self._read_counted

    def on_headers_complete(self) -> None:
        self._awaiting_headers = False
        self._request_begun = False
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        limit = self.limits.max_header_bytes
        # Headers that all came in counted reads are no larger than those reads.
        if (
            self._unparsed_bytes > limit or not self._begun_in_counted_read
        ) and _header_size(self.url, self.headers) > limit:
            # Refused once this read is parsed (data_received); the app never starts.
            self._headers_too_large = True
            return
        self._unparsed_bytes = 0
        self._reading_body = True
        before = self.cycle
        super().on_headers_complete()
        cycle = self.cycle
        # A request (not an upgrade), not HEAD (whose body uvicorn never writes).
        if (
            cycle is not None
            and cycle is not before
            and self.parser.get_method() != b"HEAD"
        ):
            cycle.transport = JoinedWrites(self.transport)  # type: ignore[assignment]

    def on_body(self, body: bytes) -> None:
        if not self._headers_too_large:
            super().on_body(body)

    def on_message_complete(self) -> None:
        self._reading_body = False
        self._awaiting_headers = True
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
        if not self._headers_too_large:
            super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        if self._headers_too_large:
            return
        # From here on the websocket protocol owns the socket and its keepalive
        # (ping/pong); this protocol is never told the connection is lost.
        self._upgraded = True
        self._cancel_timers()
        super().handle_websocket_upgrade()

    def _on_header_timeout(self) -> None:
        self._header_timer = None
        if self._request_begun and self._response_idle():
            message = (
                "The request line and headers were not received within "
                f"{self.limits.header_timeout:g} s."
            )
            self._write_error(408, "REQUEST_TIMEOUT", message)
        logger.debug("header timeout: closing connection from %s", self.client)
        self.transport.close()

    def _on_body_timeout(self) -> None:
        self._body_timer = None
        cycle = self.cycle
        # A pipelined request waits behind the response still being written.
        if not cycle.response_started and not self.pipeline:
            seconds = self.limits.body_timeout
            message = f"The request body was not received within {seconds:g} s."
            self._write_error(408, "REQUEST_TIMEOUT", message)
            # The app's receive() now says http.disconnect and its send() is dropped,
            # so nothing is written after the 408.
            cycle.disconnected = True
            cycle.message_event.set()
        logger.debug("body timeout: closing connection from %s", self.client)
        self.transport.close()

    def _refuse_headers(self) -> None:
        if self._response_idle():
            message = (
                "The request line and headers exceed "
                f"{self.limits.max_header_bytes} bytes."
            )
            self._write_error(431, "REQUEST_HEADER_FIELDS_TOO_LARGE", message)
        self.transport.close()

    def _response_idle(self) -> bool:
        # False while an earlier request's response is being written: an error
        # written now would land inside it.
        return self.cycle is None or self.cycle.response_complete

    def _write_error(self, status: int, code: str, message: str) -> None:
        body = orjson.dumps(
            {"errors": [{"message": message, "extensions": {"code": code}}]}
        )
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)

    def _cancel_timers(self) -> None:
        for timer in (self._header_timer, self._body_timer):
            if timer is not None:
                timer.cancel()
        self._header_timer = self._body_timer = None

    def _warn_at_capacity(self) -> None:
        now = time.monotonic()
        cls = type(self)
        if now - cls.last_capacity_warning >= _CAPACITY_WARNING_INTERVAL:
            cls.last_capacity_warning = now
            logger.warning(
                "connection limit reached (max_connections=%d): new connections "
                "are closed until one ends",
                self.limits.max_connections,
            )


class JoinedWrites:
    """One response cycle's transport: its head, when it has a `content-length`, is
    held until the response's first body write and goes out with it in one `write`.
    The head is the cycle's first write (after any `100 Continue`). uvicorn writes
    the body of every response that is not to a HEAD request, an empty one too, so
    a held head always goes out; a head without a length (chunked: SSE, multipart),
    whose first part may be long in coming, goes out at once. `close` writes a held
    head first (an app that fails after starting its response is closed).
    Everything else is the connection's transport's own.

    (A timer to flush a held head instead would cost the loop another turn per
    response: as much as the second write it saves.)"""

    __slots__ = ("_held", "_started", "transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self._held: bytes | None = None
        self._started = False

    def write(self, data: bytes) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self.transport.write(held + data)
        elif self._started or data.startswith(_CONTINUE):
            self.transport.write(data)
        else:
            self._started = True
            if _LENGTH in data:
                self._held = data
            else:
                self.transport.write(data)

    def close(self) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self.transport.write(held)
        self.transport.close()

    def is_closing(self) -> bool:
        return self.transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


_CONTINUE = b"HTTP/1.1 100 "
_LENGTH = b"\r\ncontent-length: "
