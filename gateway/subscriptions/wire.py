"""Websocket frames written straight to the socket (issue 14).

Through ASGI every message a client gets costs a `send` coroutine in Starlette and in
uvicorn, and websockets' framing, per socket: about 60 µs a frame, most of the
gateway's time at 10,000 deliveries a second. `WireProtocol` is uvicorn's
websockets-sansio protocol that also lends itself to the app as the scope extension
`agora.wire` (a `Wire`): the app frames an event's text once (`text_frame`) and hands
the same bytes to every socket's transport, with no coroutine per frame.

It also gives the app what ASGI cannot say:
- `cut(code, reason, grace)`: the close frame goes after what the transport already
  holds; a client that does not read it within `grace` seconds is aborted (its
  socket and buffers released), where ASGI's close waits for a writable socket that
  a client which never reads never makes.
- `on_shutdown`: called when the server begins its shutdown, before uvicorn closes
  every websocket with 1012, so the app can end each subscription (its error and
  `complete`) and close with 1001 first.

Frames the server sends are never masked (RFC 6455 §5.1), so a frame is its header
and the payload. An uncompressed frame is valid even where permessage-deflate was
negotiated (RSV1 clear, RFC 7692 §6).
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

from uvicorn.protocols.websockets.websockets_sansio_impl import (
    WebSocketsSansIOProtocol,
)

if TYPE_CHECKING:
    from collections.abc import Callable, MutableMapping

__all__ = ["WIRE_EXTENSION", "Wire", "WireProtocol", "text_frame", "wire_of"]

WIRE_EXTENSION = "agora.wire"

_FIN_TEXT = 0x81
_SHORT = struct.Struct("!BB")
_MEDIUM = struct.Struct("!BBH")
_LONG = struct.Struct("!BBQ")


def text_frame(payload: bytes) -> bytes:
    """One unfragmented, unmasked text frame carrying `payload` (UTF-8)."""
    size = len(payload)
    if size < 126:
        return _SHORT.pack(_FIN_TEXT, size) + payload
    if size < 65536:
        return _MEDIUM.pack(_FIN_TEXT, 126, size) + payload
    return _LONG.pack(_FIN_TEXT, 127, size) + payload


class Wire:
    """What the app may do to one accepted websocket's socket (see the module
    docstring). No method blocks."""

    __slots__ = ("_protocol", "on_shutdown")

    def __init__(self, protocol: WireProtocol) -> None:
        self._protocol = protocol
        # Called once when the server starts shutting down.
        self.on_shutdown: Callable[[], None] | None = None

    @property
    def open(self) -> bool:
        """True until a close frame was sent or the socket went away."""
        protocol = self._protocol
        return not (
            protocol.close_sent
            or protocol.disconnected
            or protocol.transport.is_closing()
        )

    @property
    def writable(self) -> bool:
        """True while the transport's buffer is under its high-water mark."""
        return self.open and self._protocol.writable.is_set()

    async def wait_writable(self) -> None:
        """Wait until the transport takes writes again (or the socket is gone)."""
        await self._protocol.writable.wait()

    def buffered(self) -> int:
        """Bytes the transport holds that the kernel has not taken yet."""
        return self._protocol.transport.get_write_buffer_size()

    def try_write(self, frame: bytes) -> bool:
        """Write `frame` now if the transport takes writes (`writable`, checked
        once: this is every delivered frame's path); False, writing nothing, if
        not."""
        protocol = self._protocol
        if (
            protocol.close_sent
            or protocol.disconnected
            or not protocol.writable.is_set()
            or protocol.transport.is_closing()
        ):
            return False
        protocol.transport.write(frame)
        return True

    def write(self, frame: bytes) -> None:
        """Queue `frame` (from `text_frame`) on the transport, paused or not."""
        if self.open:
            self._protocol.transport.write(frame)

    def cut(self, code: int, reason: str, grace: float) -> None:
        """Send the close frame after what is queued; abort the socket unless the
        client has read up to it and answered within `grace` seconds."""
        self._protocol.cut(code, reason, grace)

    def abort(self) -> None:
        """Drop the connection now (no close frame), releasing its buffers."""
        self._protocol.transport.abort()


class WireProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets-sansio protocol with a `Wire` in the scope."""

    wire: Wire | None = None
    shutting_down = False

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope: MutableMapping[str, Any] | None = getattr(self, "scope", None)
        if scope is not None:  # a websocket was asked for (else: refused already)
            self.wire = Wire(self)
            scope.setdefault("extensions", {})[WIRE_EXTENSION] = self.wire

    def shutdown(self) -> None:
        wire = self.wire
        if not self.shutting_down and wire is not None and wire.on_shutdown:
            self.shutting_down = True
            wire.on_shutdown()
        super().shutdown()

    def cut(self, code: int, reason: str, grace: float) -> None:
        if self.close_sent or self.disconnected or self.transport.is_closing():
            return
        self.queue.put_nowait(
            {"type": "websocket.disconnect", "code": code, "reason": reason}
        )
        self.conn.send_close(code, reason)
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        if self.read_paused:  # read on, to hear the client's close reply
            self.read_paused = False
            self.transport.resume_reading()
        if self.close_timer is not None:
            self.close_timer.cancel()
        self.close_timer = self.loop.call_later(grace, self.transport.abort)


def wire_of(scope: MutableMapping[str, Any]) -> Wire | None:
    """The Wire of a websocket scope served by WireProtocol, else None."""
    extensions = scope.get("extensions") or {}
    wire = extensions.get(WIRE_EXTENSION)
    return wire if isinstance(wire, Wire) else None
