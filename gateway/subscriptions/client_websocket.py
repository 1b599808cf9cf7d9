"""GraphQL over WebSocket for clients: graphql-transport-ws and the legacy graphql-ws.

graphql-transport-ws is the `graphql-ws` library's protocol (connection_init /
connection_ack, subscribe, next, error, complete, ping / pong; close codes 4400 bad
message, 4401 subscribe before ack, 4403 forbidden, 4408 init timeout, 4409 duplicate
id, 4429 second connection_init). The legacy protocol is Apollo's
subscriptions-transport-ws (subprotocol `graphql-ws`: connection_init, start, data,
stop, complete, ka keep-alive, connection_terminate). Each protocol has its own
handler, `_GraphQLTransportWS` and `_GraphQLWS`, over `_ClientConnection`, which holds
what they share (caller, operations, outbox, timers).

Both identify the caller at connection_init (token and API key from its payload, or
the upgrade request's headers), and every `subscribe` / `start` goes through the same
RequestPipeline as HTTP. Limits of a connection: a browser `Origin` must be allowed by
the CORS list (or be the gateway's own); a frame larger than the body limit closes it
(1009); at most `max_per_connection` operations run at once; a client that leaves
`outbox_limit` messages or `outbox_bytes` unread is cut off (1013).

Served by `WireProtocol` (wire.py), events go straight to the socket: an event's
`next` frame is built once per operation id and the same bytes written to every
socket that subscribed with that id, with no coroutine per frame. A client cut off
gets its close frame after what its socket already holds, or is aborted
`close_timeout` seconds later; either way its queue is dropped at once. When the
server shuts down, every operation gets its SHUTTING_DOWN error and `complete`, then
the close (1001), before uvicorn's own 1012 would go out.

Tokens expire: when the caller's token does, every operation ends with an
UNAUTHENTICATED error and `complete`, and new ones are refused, unless the client sent
a fresh token first. The refresh message is graphql-transport-ws `ping` with the
token in its payload (`{"type": "ping", "payload": {"Authorization": "Bearer …"}}`,
answered by `pong`), or a second `connection_init` on the legacy protocol (answered by
`connection_ack`); a token that is invalid or names another user closes the socket
with 4403.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlsplit

import orjson
from starlette.websockets import WebSocketState

from ..policy import TokenExpired
from ..request import API_KEY_HEADER, Refusal, Via, request_data
from .errors import ClientFellBehind, GatewayShuttingDown
from .operations import OperationHandle, error_payload
from .outbox import Outbox
from .wire import text_frame, wire_of

if TYPE_CHECKING:
    from starlette.websockets import WebSocket

    from ..errors import AgoraError
    from ..request import Caller, PreparedRequest
    from ..types import JSONObject
    from .operations import SubscriptionServer
    from .wire import Wire

__all__ = [
    "CLIENT_FELL_BEHIND",
    "GRAPHQL_TRANSPORT_WS",
    "GRAPHQL_WS",
    "MESSAGE_TOO_BIG",
    "serve_websocket",
]

logger = logging.getLogger("agora.gateway")

GRAPHQL_TRANSPORT_WS = "graphql-transport-ws"
GRAPHQL_WS = "graphql-ws"  # subscriptions-transport-ws, the legacy protocol
CLIENT_FELL_BEHIND = 1013
GOING_AWAY = 1001
MESSAGE_TOO_BIG = 1009
FORBIDDEN = 4403
MAX_SUBSCRIPTIONS_LIMIT = "MAX_SUBSCRIPTIONS_LIMIT"


async def serve_websocket(server: SubscriptionServer, websocket: WebSocket) -> None:
    """Serve one client websocket until it or the gateway closes it."""
    offered = websocket.scope.get("subprotocols") or []
    if GRAPHQL_TRANSPORT_WS in offered:
        protocol = GRAPHQL_TRANSPORT_WS
    elif GRAPHQL_WS in offered:
        protocol = GRAPHQL_WS
    else:
        await websocket.close(4406, "Subprotocol not acceptable")
        return
    if not origin_allowed(websocket, server.config.cors.allow_origins):
        # Cross-site websocket hijacking: a page elsewhere riding the user's cookies.
        await websocket.close(FORBIDDEN, "Origin not allowed")
        return
    if server.closing:
        await websocket.close(GOING_AWAY, "The gateway is shutting down")
        return
    await websocket.accept(subprotocol=protocol)
    handler = _HANDLERS[protocol]
    await handler(server, websocket, wire=wire_of(websocket.scope)).run()


def origin_allowed(websocket: WebSocket, allowed: tuple[str, ...]) -> bool:
    """No Origin (not a browser), the gateway's own, or one the CORS list allows."""
    origin = websocket.headers.get("origin")
    if not origin:
        return True
    if "*" in allowed or origin in allowed:
        return True
    host = websocket.headers.get("host", "")
    return bool(host) and urlsplit(origin).netloc == host


class _SharedFrames:
    """The frames of the event being fanned out, by message prefix: the hub hands
    the same payload object to each subscriber in turn, so the sockets whose
    operation ids match share one frame (and the others one encoding each)."""

    __slots__ = ("frames", "payload")

    def __init__(self) -> None:
        self.payload: str | None = None
        self.frames: dict[str, bytes] = {}

    def frame(self, prefix: str, payload: str) -> bytes:
        if payload is not self.payload:
            self.payload = payload
            self.frames = {}
        frame = self.frames.get(prefix)
        if frame is None:
            frame = text_frame((prefix + payload + "}").encode())
            self.frames[prefix] = frame
        return frame


_shared_frames = _SharedFrames()


class _OperationSink:
    """One client operation's events, wrapped in the protocol's message."""

    __slots__ = ("connection", "id", "prefix")

    def __init__(self, connection: _ClientConnection, id: str) -> None:
        self.connection = connection
        self.id = id
        kind = connection.data_type
        self.prefix = '{"id":' + orjson.dumps(id).decode() + f',"type":"{kind}"'
        self.prefix += ',"payload":'

    def next(self, payload: str) -> None:
        connection = self.connection
        if connection.wire is None:
            connection.text_outbox.put(self.prefix + payload + "}")
        else:
            connection.put_frame(_shared_frames.frame(self.prefix, payload))

    def complete(self, error: AgoraError | None) -> None:
        if error is not None:
            self.next(error_payload(error))
        connection = self.connection
        if connection.operations.pop(self.id, None) is not None:
            connection.send({"id": self.id, "type": "complete"})


class _ClientConnection(abc.ABC):
    """One client websocket: its caller, operations, outbox and timers.

    What the two protocols share; each protocol is a subclass below that reads
    its own messages (`on_message`) and names its own frames."""

    # The type of the message that carries an operation's result.
    data_type: ClassVar[str]
    # What goes every `keepalive` seconds once the connection is acknowledged.
    keepalive_message: ClassVar[JSONObject]

    def __init__(
        self,
        server: SubscriptionServer,
        websocket: WebSocket,
        *,
        wire: Wire | None = None,
    ) -> None:
        self.server = server
        self.settings = server.settings
        self.websocket = websocket
        self.wire = wire
        settings = self.settings
        # One of the two is used: frames for the wire, else text for ASGI sends.
        self.frame_outbox: Outbox[bytes] = Outbox(
            settings.outbox_limit, self._fell_behind, settings.outbox_bytes
        )
        self.text_outbox: Outbox[str] = Outbox(
            settings.outbox_limit, self._fell_behind, settings.outbox_bytes
        )
        self.outbox: Outbox[bytes] | Outbox[str] = (
            self.frame_outbox if wire is not None else self.text_outbox
        )
        # A frame the writer took from the outbox and waits to write.
        self._held: bytes | None = None
        self.operations: dict[str, OperationHandle] = {}
        # None until connection_init is accepted.
        self.caller: Caller | None = None
        # Set when the caller's token expired and no fresh one came.
        self.expired = False
        self.done = asyncio.Event()
        self.close_code: int | None = 1000
        self.close_reason = ""
        self._timer: asyncio.TimerHandle | None = None
        self._expiry: asyncio.TimerHandle | None = None

    def send(self, message: JSONObject) -> None:
        if self.wire is None:
            self.text_outbox.put(orjson.dumps(message).decode())
        else:
            self.put_frame(text_frame(orjson.dumps(message)))

    def put_text(self, text: str) -> None:
        if self.wire is None:
            self.text_outbox.put(text)
        else:
            self.put_frame(text_frame(text.encode()))

    def put_frame(self, frame: bytes) -> None:
        """Write `frame` now when nothing waits before it, else queue it."""
        wire = self.wire
        assert wire is not None, "frames only with a wire"
        outbox = self.frame_outbox
        if outbox or self._held is not None or not wire.try_write(frame):
            outbox.put(frame)

    def end(self, code: int | None, reason: str = "") -> None:
        """Close with `code` (None: the client is gone already)."""
        if self.done.is_set():
            return
        self.close_code = code
        self.close_reason = reason
        self.done.set()

    def _fell_behind(self) -> None:
        error = ClientFellBehind(self.outbox.limit)
        self.end(CLIENT_FELL_BEHIND, error.message)

    def _end_operations(self, error: AgoraError) -> None:
        """Tell every operation it ended with `error`, then forget them."""
        operations = list(self.operations.items())
        self.operations.clear()
        for id, handle in operations:
            handle.cancel()
            self.put_text(_OperationSink(self, id).prefix + error_payload(error) + "}")
            self.send({"id": id, "type": "complete"})

    def _shutting_down(self, error: AgoraError) -> None:
        # Tell every operation, then close once those messages are written.
        self._end_operations(error)
        self.outbox.close()

    def _server_stopping(self) -> None:
        """The server begins its shutdown: end every operation and close (1001)
        now, before uvicorn closes the socket with 1012 (see the module docstring).
        What waits is handed to the transport, which sends it before closing."""
        wire = self.wire
        assert wire is not None, "called by the wire"
        self.server.closing = True
        self._end_operations(GatewayShuttingDown())
        if self._held is not None:
            wire.write(self._held)
            self._held = None
        while (frame := self.frame_outbox.pop()) is not None:
            wire.write(frame)
        self.end(GOING_AWAY, "The gateway is shutting down")
        wire.cut(GOING_AWAY, self.close_reason, self.settings.close_timeout)

    async def run(self) -> None:
        metrics = self.server.telemetry.metrics
        if metrics is None:
            await self._run()
            return
        metrics.websocket_connections.inc()
        try:
            await self._run()
        finally:
            metrics.websocket_connections.dec()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self.settings.init_timeout, self._init_timed_out)
        self.server.connections.add(self._shutting_down)
        if self.wire is not None:
            self.wire.on_shutdown = self._server_stopping
        reader = asyncio.create_task(self._read())
        writer = asyncio.create_task(
            self._write() if self.wire is None else self._write_frames(self.wire)
        )
        try:
            await self.done.wait()
        finally:
            self.server.connections.discard(self._shutting_down)
            self._cancel_timers()
            for task in (reader, writer):
                task.cancel()
            for handle in self.operations.values():
                handle.cancel()
            self.operations.clear()
            for task in (reader, writer):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            if self.wire is not None:
                self.wire.on_shutdown = None
                self._close_wire(self.wire)
            elif (
                self.close_code is not None
                and self.websocket.application_state != WebSocketState.DISCONNECTED
            ):
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(1.0):
                        await self.websocket.close(self.close_code, self.close_reason)

    def _cancel_timers(self) -> None:
        for timer in (self._timer, self._expiry):
            if timer is not None:
                timer.cancel()
        self._timer = self._expiry = None

    def _init_timed_out(self) -> None:
        if self.caller is None:
            self.end(4408, "Connection initialisation timeout")

    def _keepalive(self) -> None:
        if self.done.is_set():
            return
        self.send(self.keepalive_message)
        self._timer = asyncio.get_running_loop().call_later(
            self.settings.keepalive, self._keepalive
        )

    def _schedule_keepalive(self) -> None:
        interval = self.settings.keepalive
        if interval > 0:
            self._timer = asyncio.get_running_loop().call_later(
                interval, self._keepalive
            )

    def _close_wire(self, wire: Wire) -> None:
        # A client cut off loses what waits; one closing normally has none waiting.
        self.frame_outbox.clear()
        self._held = None
        if self.close_code is not None:
            wire.cut(self.close_code, self.close_reason, self.settings.close_timeout)

    async def _write(self) -> None:
        websocket = self.websocket
        while (message := await self.text_outbox.get()) is not None:
            await websocket.send_text(message)
        self.end(GOING_AWAY, "The gateway is shutting down")

    async def _write_frames(self, wire: Wire) -> None:
        """Write what `put_frame` queued while the transport was paused."""
        while (frame := await self.frame_outbox.get()) is not None:
            if not wire.writable:
                self._held = frame
                await wire.wait_writable()
                self._held = None
                if not wire.open:
                    self.end(None)
                    return
            wire.write(frame)
        self.end(GOING_AWAY, "The gateway is shutting down")

    async def _read(self) -> None:
        receive = self.websocket.receive
        limit = self.server.config.max_body_bytes
        while not self.done.is_set():
            message = await receive()
            if message["type"] == "websocket.disconnect":
                self.end(None)
                return
            text = message.get("text")
            if text is None:
                raw = message.get("bytes") or b""
                if len(raw) > limit:
                    self.end(MESSAGE_TOO_BIG, "Message too big")
                    return
                text = raw.decode(errors="replace")
            # Characters, not bytes: a cheap bound that never under-counts by more
            # than UTF-8's factor; the server caps frames in bytes before this.
            if len(text) > limit:
                self.end(MESSAGE_TOO_BIG, "Message too big")
                return
            try:
                decoded = orjson.loads(text)
            except orjson.JSONDecodeError:
                decoded = None
            if not isinstance(decoded, dict) or not isinstance(
                decoded.get("type"), str
            ):
                self.end(4400, "Invalid message received")
                return
            await self.on_message(decoded)
            # Backpressure: a client that sends faster than it reads waits for its
            # answers to be written (instead of being cut off for its own backlog).
            outbox = self.outbox
            if len(outbox) >= outbox.limit // 2:
                await outbox.wait_until_below(outbox.limit // 4)

    async def _identify(self, payload: object) -> Caller | Refusal:
        authorization = api_key = None
        if isinstance(payload, dict):
            for name in ("Authorization", "authorization"):
                value = payload.get(name)
                if isinstance(value, str):
                    authorization = value
            for name in (API_KEY_HEADER, "apiKey"):
                value = payload.get(name)
                if isinstance(value, str):
                    api_key = value
        websocket = self.websocket
        return await self.server.identify(
            websocket.headers,
            websocket.client.host if websocket.client else None,
            authorization=authorization,
            api_key=api_key,
        )

    async def _initialise(self, payload: object) -> bool:
        caller = await self._identify(payload)
        if isinstance(caller, Refusal):
            self._forbid(caller.errors[0].message, caller.formatted()[0])
            return False
        self.caller = caller
        self._cancel_timers()
        self._watch_expiry()
        return True

    async def _refresh(self, payload: object) -> None:
        """Take a fresh token for the same user (see the module docstring)."""
        caller = await self._identify(payload)
        if isinstance(caller, Refusal):
            self._forbid(caller.errors[0].message, caller.formatted()[0])
            return
        old = self.caller.identity if self.caller else None
        new = caller.identity
        if old is not None and (new is None or new.user_id != old.user_id):
            self._forbid("The new token names another user.", None)
            return
        self.caller = caller
        self.expired = False
        self._watch_expiry()

    def _forbid(self, message: str, error: JSONObject | None) -> None:
        """Close with 4403; `error` is the refusal as a GraphQL error, if any."""
        self.end(FORBIDDEN, f"Forbidden: {message}"[:120])

    def _watch_expiry(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        identity = self.caller.identity if self.caller else None
        if identity is None:
            return
        delay = max(0.0, identity.expires_at - time.time())
        self._expiry = asyncio.get_running_loop().call_later(delay, self._expire)

    def _expire(self) -> None:
        self._expiry = None
        self.expired = True
        self._end_operations(TokenExpired())

    @abc.abstractmethod
    async def on_message(self, message: JSONObject) -> None:
        """Act on one decoded client message (a dict with a string `type`)."""

    @abc.abstractmethod
    def _refuse(self, id: str, refusal: Refusal) -> None:
        """Tell the client operation `id` was refused before it started."""

    async def _start(self, id: str, payload: object) -> None:
        caller = self.caller
        assert caller is not None, "checked by the caller"
        # Reserve the id while the request is checked (a duplicate is 4409).
        self.operations[id] = OperationHandle(lambda: None)
        prepared = await self._prepare(payload, caller)
        if self.operations.get(id) is None:
            return  # completed (or the socket ended) while it was checked
        self.operations.pop(id, None)
        if isinstance(prepared, Refusal):
            self._refuse(id, prepared)
            return
        sink = _OperationSink(self, id)
        # Reserve the id first: a query's result may complete it synchronously.
        self.operations[id] = OperationHandle(lambda: None)
        # No headers per operation here: a mutation's key rides in its extensions.
        extensions = payload.get("extensions") if isinstance(payload, dict) else None
        key = extensions.get("idempotencyKey") if isinstance(extensions, dict) else None
        started = self.server.start(prepared, sink, key)
        if id in self.operations:
            self.operations[id] = started

    async def _prepare(
        self, payload: object, caller: Caller
    ) -> PreparedRequest | Refusal:
        if self.expired:
            error = TokenExpired()
            return Refusal.of(error.message, error.code, 401)
        limit = self.settings.max_per_connection
        if len(self.operations) > limit:  # this operation's own slot is reserved
            return Refusal.of(
                f"A connection may run at most {limit} operations at once.",
                MAX_SUBSCRIPTIONS_LIMIT,
                limit=limit,
            )
        try:
            data = request_data(payload, http_level=False)
        except Refusal as refusal:
            return refusal
        return await self.server.pipeline.accept(data, caller, via=Via.WEBSOCKET)


class _GraphQLTransportWS(_ClientConnection):
    """graphql-transport-ws, the `graphql-ws` library's protocol."""

    data_type = "next"
    keepalive_message: ClassVar[JSONObject] = {"type": "ping"}

    async def on_message(self, message: JSONObject) -> None:
        kind = message["type"]
        if kind == "connection_init":
            if self.caller is not None:
                self.end(4429, "Too many initialisation requests")
                return
            if not await self._initialise(message.get("payload")):
                return
            self.send({"type": "connection_ack"})
            self._schedule_keepalive()
        elif kind == "ping":
            payload = message.get("payload")
            if self.caller is not None and _carries_token(payload):
                await self._refresh(payload)
                if self.done.is_set():
                    return
            self.send({"type": "pong"})
        elif kind == "pong":
            return
        elif kind == "subscribe":
            if self.caller is None:
                self.end(4401, "Unauthorized")
                return
            id = message.get("id")
            if not isinstance(id, str) or not id:
                self.end(4400, "Invalid message received")
                return
            if id in self.operations:
                self.end(4409, f"Subscriber for {id} already exists")
                return
            await self._start(id, message.get("payload"))
        elif kind == "complete":
            handle = self.operations.pop(str(message.get("id")), None)
            if handle is not None:
                handle.cancel()
        else:
            self.end(4400, f"Unexpected message of type {kind}")

    def _refuse(self, id: str, refusal: Refusal) -> None:
        self.send({"id": id, "type": "error", "payload": refusal.formatted()})


class _GraphQLWS(_ClientConnection):
    """The legacy subscriptions-transport-ws protocol (subprotocol `graphql-ws`)."""

    data_type = "data"
    keepalive_message: ClassVar[JSONObject] = {"type": "ka"}

    async def on_message(self, message: JSONObject) -> None:
        kind = message["type"]
        if kind == "connection_init":
            if self.caller is not None:
                await self._refresh(message.get("payload"))
                if not self.done.is_set():
                    self.send({"type": "connection_ack"})
                return
            if not await self._initialise(message.get("payload")):
                return
            self.send({"type": "connection_ack"})
            self.send(self.keepalive_message)
            self._schedule_keepalive()
        elif kind == "start":
            if self.caller is None:
                self.end(4401, "Unauthorized")
                return
            id = message.get("id")
            if not isinstance(id, str | int):
                self.end(4400, "Invalid message received")
                return
            id = str(id)
            previous = self.operations.pop(id, None)
            if previous is not None:  # the legacy protocol restarts a reused id
                previous.cancel()
            await self._start(id, message.get("payload"))
        elif kind == "stop":
            handle = self.operations.pop(str(message.get("id")), None)
            if handle is not None:
                handle.cancel()
        elif kind == "connection_terminate":
            self.end(1000, "")
        else:
            self.send({"type": "error", "payload": {"message": f"Unknown type {kind}"}})

    def _forbid(self, message: str, error: JSONObject | None) -> None:
        # The legacy protocol says why in a connection_error before the close.
        if error is not None:
            self.send({"type": "connection_error", "payload": error})
            self.outbox.close()
        super()._forbid(message, error)

    def _refuse(self, id: str, refusal: Refusal) -> None:
        # No `error` message for a refused operation: a `data` with errors, then
        # `complete`.
        sink = _OperationSink(self, id)
        self.put_text(sink.prefix + orjson.dumps(refusal.body()).decode() + "}")
        self.send({"id": id, "type": "complete"})


_HANDLERS: dict[str, type[_ClientConnection]] = {
    GRAPHQL_TRANSPORT_WS: _GraphQLTransportWS,
    GRAPHQL_WS: _GraphQLWS,
}


def _carries_token(payload: object) -> bool:
    return isinstance(payload, dict) and any(
        isinstance(payload.get(name), str)
        for name in ("Authorization", "authorization")
    )
