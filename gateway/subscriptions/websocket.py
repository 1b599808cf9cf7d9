"""GraphQL over WebSocket for clients: graphql-transport-ws and the legacy graphql-ws.

graphql-transport-ws is the `graphql-ws` library's protocol (connection_init /
connection_ack, subscribe, next, error, complete, ping / pong; close codes 4400 bad
message, 4401 subscribe before ack, 4403 forbidden, 4408 init timeout, 4409 duplicate
id, 4429 second connection_init). The legacy protocol is Apollo's
subscriptions-transport-ws (subprotocol `graphql-ws`: connection_init, start, data,
stop, complete, ka keep-alive, connection_terminate). Both check the caller's token
once, at connection_init, and cut off a client that falls `outbox_limit` messages
behind with close code 1013 (try again later).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

import orjson
from starlette.websockets import WebSocketState

from ..errors import PolicyRefused
from .errors import ClientFellBehind
from .outbox import Outbox
from .server import OperationHandle, error_payload

if TYPE_CHECKING:
    from starlette.websockets import WebSocket

    from ..errors import AgoraError
    from ..policy import Identity
    from ..types import JSONObject
    from .server import SubscriptionServer

__all__ = [
    "CLIENT_FELL_BEHIND",
    "GRAPHQL_TRANSPORT_WS",
    "GRAPHQL_WS",
    "serve_websocket",
]

logger = logging.getLogger("agora.gateway")

GRAPHQL_TRANSPORT_WS = "graphql-transport-ws"
GRAPHQL_WS = "graphql-ws"  # subscriptions-transport-ws, the legacy protocol
CLIENT_FELL_BEHIND = 1013
GOING_AWAY = 1001


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
    if server.closing:
        await websocket.close(GOING_AWAY, "The gateway is shutting down")
        return
    await websocket.accept(subprotocol=protocol)
    await _Connection(server, websocket, legacy=protocol == GRAPHQL_WS).run()


class _OperationSink:
    """One client operation's events, wrapped in the protocol's message."""

    __slots__ = ("connection", "id", "prefix")

    def __init__(self, connection: _Connection, id: str) -> None:
        self.connection = connection
        self.id = id
        kind = "data" if connection.legacy else "next"
        self.prefix = '{"id":' + orjson.dumps(id).decode() + f',"type":"{kind}"'
        self.prefix += ',"payload":'

    def next(self, payload: str) -> None:
        self.connection.outbox.put(self.prefix + payload + "}")

    def complete(self, error: AgoraError | None) -> None:
        if error is not None:
            self.next(error_payload(error))
        connection = self.connection
        if connection.operations.pop(self.id, None) is not None:
            connection.send({"id": self.id, "type": "complete"})


class _Connection:
    def __init__(
        self, server: SubscriptionServer, websocket: WebSocket, *, legacy: bool
    ) -> None:
        self.server = server
        self.websocket = websocket
        self.legacy = legacy
        self.outbox = Outbox(server.settings.outbox_limit, self._fell_behind)
        self.operations: dict[str, OperationHandle] = {}
        self.identity: Identity | None = None
        self.acknowledged = False
        self.done = asyncio.Event()
        self.close_code: int | None = 1000
        self.close_reason = ""
        self._timer: asyncio.TimerHandle | None = None

    def send(self, message: JSONObject) -> None:
        self.outbox.put(orjson.dumps(message).decode())

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

    def _shutting_down(self, error: AgoraError) -> None:
        # Tell every operation, then close once those messages are written.
        for id in list(self.operations):
            self.outbox.put(
                _OperationSink(self, id).prefix + error_payload(error) + "}"
            )
            self.send({"id": id, "type": "complete"})
        self.operations.clear()
        self.outbox.close()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(
            self.server.settings.connection_init_timeout, self._init_timed_out
        )
        self.server.connections.add(self._shutting_down)
        reader = asyncio.create_task(self._read())
        writer = asyncio.create_task(self._write())
        try:
            await self.done.wait()
        finally:
            self.server.connections.discard(self._shutting_down)
            self._cancel_timer()
            for task in (reader, writer):
                task.cancel()
            for handle in self.operations.values():
                handle.cancel()
            self.operations.clear()
            for task in (reader, writer):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            if (
                self.close_code is not None
                and self.websocket.application_state != WebSocketState.DISCONNECTED
            ):
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(1.0):
                        await self.websocket.close(self.close_code, self.close_reason)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _init_timed_out(self) -> None:
        if not self.acknowledged:
            self.end(4408, "Connection initialisation timeout")

    def _keepalive(self) -> None:
        if self.done.is_set():
            return
        self.send({"type": "ka"} if self.legacy else {"type": "ping"})
        self._timer = asyncio.get_running_loop().call_later(
            self.server.settings.keepalive_interval, self._keepalive
        )

    async def _write(self) -> None:
        websocket = self.websocket
        while (message := await self.outbox.get()) is not None:
            await websocket.send_text(message)
        self.end(GOING_AWAY, "The gateway is shutting down")

    async def _read(self) -> None:
        receive = self.websocket.receive
        while not self.done.is_set():
            message = await receive()
            if message["type"] == "websocket.disconnect":
                self.end(None)
                return
            text = message.get("text")
            if text is None:
                text = (message.get("bytes") or b"").decode(errors="replace")
            try:
                decoded = orjson.loads(text)
            except orjson.JSONDecodeError:
                decoded = None
            if not isinstance(decoded, dict) or not isinstance(
                decoded.get("type"), str
            ):
                self.end(4400, "Invalid message received")
                return
            if self.legacy:
                self._on_legacy(decoded)
            else:
                self._on_message(decoded)

    def _authenticate(self, payload: object) -> bool:
        authorization = None
        if isinstance(payload, dict):
            for name in ("Authorization", "authorization"):
                value = payload.get(name)
                if isinstance(value, str):
                    authorization = value
        if authorization is None:
            authorization = self.websocket.headers.get("authorization")
        try:
            self.identity = self.server.authenticate(authorization)
        except PolicyRefused as refused:
            if self.legacy:
                self.send(
                    {
                        "type": "connection_error",
                        "payload": {
                            "message": refused.message,
                            "extensions": {"code": refused.code},
                        },
                    }
                )
            self.outbox.close()
            self.end(4403, f"Forbidden: {refused.message}")
            return False
        return True

    def _on_message(self, message: JSONObject) -> None:
        kind = message["type"]
        if kind == "connection_init":
            if self.acknowledged:
                self.end(4429, "Too many initialisation requests")
                return
            if not self._authenticate(message.get("payload")):
                return
            self.acknowledged = True
            self._cancel_timer()
            self.send({"type": "connection_ack"})
            self._schedule_keepalive()
        elif kind == "ping":
            self.send({"type": "pong"})
        elif kind == "pong":
            return
        elif kind == "subscribe":
            if not self.acknowledged:
                self.end(4401, "Unauthorized")
                return
            id = message.get("id")
            if not isinstance(id, str) or not id:
                self.end(4400, "Invalid message received")
                return
            if id in self.operations:
                self.end(4409, f"Subscriber for {id} already exists")
                return
            self._start(id, message.get("payload"))
        elif kind == "complete":
            handle = self.operations.pop(str(message.get("id")), None)
            if handle is not None:
                handle.cancel()
        else:
            self.end(4400, f"Unexpected message of type {kind}")

    def _on_legacy(self, message: JSONObject) -> None:
        kind = message["type"]
        if kind == "connection_init":
            if not self._authenticate(message.get("payload")):
                return
            self.acknowledged = True
            self._cancel_timer()
            self.send({"type": "connection_ack"})
            self.send({"type": "ka"})
            self._schedule_keepalive()
        elif kind == "start":
            if not self.acknowledged:
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
            self._start(id, message.get("payload"))
        elif kind == "stop":
            handle = self.operations.pop(str(message.get("id")), None)
            if handle is not None:
                handle.cancel()
        elif kind == "connection_terminate":
            self.end(1000, "")
        else:
            self.send({"type": "error", "payload": {"message": f"Unknown type {kind}"}})

    def _schedule_keepalive(self) -> None:
        interval = self.server.settings.keepalive_interval
        if interval > 0:
            self._timer = asyncio.get_running_loop().call_later(
                interval, self._keepalive
            )

    def _start(self, id: str, payload: object) -> None:
        sink = _OperationSink(self, id)
        # Reserve the id first: a query's result may complete it synchronously.
        self.operations[id] = OperationHandle(lambda: None)
        started = self.server.start(payload, self.identity, sink)
        if isinstance(started, OperationHandle):
            if id in self.operations:
                self.operations[id] = started
            return
        self.operations.pop(id, None)
        if self.legacy:
            sink.next(orjson.dumps({"errors": started}).decode())
            self.send({"id": id, "type": "complete"})
        else:
            self.send({"id": id, "type": "error", "payload": started})
