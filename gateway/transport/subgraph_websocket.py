"""Upstream subscriptions: a graphql-transport-ws client to a subgraph's websocket.

The protocol is the `graphql-ws` library's (GraphQL over WebSocket, the
graphql-transport-ws subprotocol): connection_init / connection_ack, subscribe,
next / error / complete, ping / pong. `run_graphql_transport_ws` speaks it over any
`Channel`, so the in-process ASGI transport (asgi_websocket.py) shares it.

The caller's identity travels twice, as the upgrade request's headers and as the
`connection_init` payload (where Strawberry subgraphs read it for websockets).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Protocol

import orjson
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.typing import Subprotocol

from ..errors import SubgraphBadResponse, SubgraphError, SubgraphUnavailable
from .models import SubgraphResponse

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator, Mapping

    from websockets.asyncio.client import ClientConnection

    from ..types import JSONObject
    from .models import SubgraphRequest

__all__ = [
    "GRAPHQL_TRANSPORT_WS",
    "Channel",
    "ChannelClosed",
    "SubscriptionTransport",
    "WebSocketTransport",
    "connection_init_payload",
    "run_graphql_transport_ws",
    "websocket_url",
]

GRAPHQL_TRANSPORT_WS = "graphql-transport-ws"


class SubscriptionTransport(Protocol):
    """Opens a subscription on one subgraph; the iterator ends on `complete` and
    raises only SubgraphError subclasses (a socket closed mid-stream included)."""

    def subscribe(
        self, request: SubgraphRequest
    ) -> AsyncIterator[SubgraphResponse]: ...


class ChannelClosed(Exception):
    """The other side closed the channel with `code` (and `reason`)."""

    def __init__(self, code: int | None, reason: str = "") -> None:
        super().__init__(f"closed with code {code}: {reason}")
        self.code = code
        self.reason = reason


class Channel(Protocol):
    """A text message channel (a websocket, or an ASGI app's websocket scope)."""

    async def send(self, text: str) -> None: ...

    async def receive(self) -> str:
        """The next text message; raises ChannelClosed when the peer closed."""
        ...

    async def close(self) -> None: ...


def connection_init_payload(headers: Mapping[str, str]) -> JSONObject:
    """The `connection_init` payload carrying the forwarded headers (identity)."""
    payload: JSONObject = dict(headers)
    authorization = headers.get("authorization") or headers.get("Authorization")
    if authorization:
        payload["Authorization"] = authorization
        payload.pop("authorization", None)
    return payload


async def run_graphql_transport_ws(
    channel: Channel, subgraph: str, request: SubgraphRequest, ack_timeout: float
) -> AsyncGenerator[SubgraphResponse, None]:
    """Speak graphql-transport-ws on an open `channel` for one subscription.

    Yields one SubgraphResponse per `next`; an `error` message is yielded as a
    response with errors and ends the stream. Raises SubgraphUnavailable when the
    channel closes before `complete`, SubgraphBadResponse on protocol violations.
    When the consumer stops early, `complete` is sent before the channel closes.
    """
    completed = False
    try:
        await channel.send(
            _dumps(
                {
                    "type": "connection_init",
                    "payload": connection_init_payload(request.headers),
                }
            )
        )
        try:
            async with asyncio.timeout(ack_timeout):
                while True:
                    message = await _receive(channel, subgraph)
                    kind = message.get("type")
                    if kind == "connection_ack":
                        break
                    if kind == "ping":
                        await channel.send(_dumps({"type": "pong"}))
                    elif kind != "pong":
                        raise SubgraphBadResponse(
                            subgraph, f"expected connection_ack, got {kind!r}"
                        )
        except TimeoutError:
            raise SubgraphUnavailable(subgraph, "no connection_ack") from None
        await channel.send(
            _dumps({"type": "subscribe", "id": "1", "payload": request.body()})
        )
        while True:
            message = await _receive(channel, subgraph)
            kind = message.get("type")
            if kind == "next":
                yield _response(subgraph, message.get("payload"))
            elif kind == "error":
                completed = True
                errors = message.get("payload")
                if not isinstance(errors, list):
                    errors = [{"message": "subscription refused"}]
                yield SubgraphResponse(None, tuple(errors))
                return
            elif kind == "complete":
                completed = True
                return
            elif kind == "ping":
                await channel.send(_dumps({"type": "pong"}))
    finally:
        if not completed:
            with contextlib.suppress(ChannelClosed, OSError, RuntimeError):
                await channel.send(_dumps({"type": "complete", "id": "1"}))
        with contextlib.suppress(Exception):
            await channel.close()


async def _receive(channel: Channel, subgraph: str) -> JSONObject:
    try:
        text = await channel.receive()
    except ChannelClosed as closed:
        why = f"{closed.code}: {closed.reason}" if closed.reason else f"{closed.code}"
        raise SubgraphUnavailable(
            subgraph, f"the subscription socket closed ({why})"
        ) from None
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise SubgraphBadResponse(subgraph, "a message that is not JSON") from None
    if not isinstance(message, dict):
        raise SubgraphBadResponse(subgraph, "a message that is not an object")
    return message


def _response(subgraph: str, payload: object) -> SubgraphResponse:
    if not isinstance(payload, dict):
        raise SubgraphBadResponse(subgraph, "a `next` without a payload object")
    data = payload.get("data")
    errors = payload.get("errors") or []
    if (data is not None and not isinstance(data, dict)) or not isinstance(
        errors, list
    ):
        raise SubgraphBadResponse(subgraph, "a `next` that is not a GraphQL result")
    return SubgraphResponse(data, tuple(errors), payload.get("extensions"))


def _dumps(message: JSONObject) -> str:
    return orjson.dumps(message).decode()


class _SocketChannel:
    __slots__ = ("socket",)

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket

    async def send(self, text: str) -> None:
        try:
            await self.socket.send(text)
        except ConnectionClosed as closed:
            raise ChannelClosed(closed.rcvd.code if closed.rcvd else None) from None

    async def receive(self) -> str:
        try:
            message = await self.socket.recv()
        except ConnectionClosed as closed:
            if closed.rcvd is None and closed.sent is not None:
                # Closed on our side: 1011 when the subgraph missed a ping.
                raise ChannelClosed(closed.sent.code, closed.sent.reason) from None
            code = closed.rcvd.code if closed.rcvd else None
            reason = closed.rcvd.reason if closed.rcvd else ""
            raise ChannelClosed(code, reason) from None
        return message if isinstance(message, str) else message.decode()

    async def close(self) -> None:
        await self.socket.close()


class WebSocketTransport:
    """Opens one graphql-transport-ws connection per upstream subscription.

    `url` is the subgraph's http(s) or ws(s) GraphQL URL. Connection failures become
    SubgraphUnavailable; `timeout` bounds the handshake and the connection_ack.
    A websocket ping goes every `ping_interval` seconds; a subgraph that does not
    answer within `ping_timeout` (hung, stopped, or its host gone) ends the stream
    with SubgraphUnavailable, as a closed socket does (None: no pings).
    """

    def __init__(
        self,
        name: str,
        url: str,
        *,
        timeout: float = 10.0,
        ping_interval: float | None = 10.0,
        ping_timeout: float | None = 10.0,
    ) -> None:
        self.name = name
        self.url = websocket_url(url)
        self.timeout = timeout
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout

    async def subscribe(
        self, request: SubgraphRequest
    ) -> AsyncIterator[SubgraphResponse]:
        try:
            socket = await connect(
                self.url,
                subprotocols=[Subprotocol(GRAPHQL_TRANSPORT_WS)],
                additional_headers=dict(request.headers),
                open_timeout=self.timeout,
                ping_interval=self.ping_interval,
                ping_timeout=self.ping_timeout,
                # After a missed pong, wait no longer for a closing handshake.
                close_timeout=self.ping_timeout or self.timeout,
                max_queue=None,
                compression=None,
            )
        except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
            raise SubgraphUnavailable(
                self.name, f"cannot open the subscription socket: {exc}"
            ) from exc
        if socket.subprotocol != GRAPHQL_TRANSPORT_WS:
            await socket.close()
            raise SubgraphBadResponse(self.name, "graphql-transport-ws was refused")
        stream = run_graphql_transport_ws(
            _SocketChannel(socket), self.name, request, self.timeout
        )
        try:
            async for response in stream:
                yield response
        except SubgraphError:
            raise
        except OSError as exc:
            raise SubgraphUnavailable(self.name, str(exc)) from exc
        finally:
            await stream.aclose()


def websocket_url(url: str) -> str:
    """`url` with http(s) turned into ws(s)."""
    if url.startswith("https://"):
        return "wss://" + url[len("https://") :]
    if url.startswith("http://"):
        return "ws://" + url[len("http://") :]
    return url
