"""Minimal protocol clients, written from the protocol documents (not the gateway)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import orjson
import websockets
from websockets.asyncio.client import ClientConnection, connect

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx


async def receive(socket: ClientConnection) -> dict[str, Any]:
    """The next message that is not a keep-alive."""
    while True:
        message = orjson.loads(await socket.recv())
        if message.get("type") not in ("ka", "ping", "pong"):
            return dict(message)


@contextlib.asynccontextmanager
async def transport_ws(
    url: str, payload: dict[str, Any] | None = None, *, ack: bool = True
) -> AsyncIterator[ClientConnection]:
    """A graphql-transport-ws connection, acknowledged unless `ack` is False."""
    async with connect(
        url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
    ) as socket:
        assert socket.subprotocol == "graphql-transport-ws"
        if ack:
            await socket.send(
                orjson.dumps(
                    {"type": "connection_init", "payload": payload or {}}
                ).decode()
            )
            assert await receive(socket) == {"type": "connection_ack"}
        yield socket


@contextlib.asynccontextmanager
async def legacy_ws(
    url: str, payload: dict[str, Any] | None = None
) -> AsyncIterator[ClientConnection]:
    """A subscriptions-transport-ws (`graphql-ws`) connection, acknowledged."""
    async with connect(
        url, subprotocols=[websockets.Subprotocol("graphql-ws")]
    ) as socket:
        assert socket.subprotocol == "graphql-ws"
        await socket.send(
            orjson.dumps({"type": "connection_init", "payload": payload or {}}).decode()
        )
        assert await receive(socket) == {"type": "connection_ack"}
        yield socket


async def send(socket: ClientConnection, message: dict[str, Any]) -> None:
    await socket.send(orjson.dumps(message).decode())


async def sse_events(
    response: httpx.Response,
) -> AsyncIterator[tuple[str, Any]]:
    """(event, data) pairs of a text/event-stream response; comments skipped."""
    event = ""
    data: list[str] = []
    async for line in response.aiter_lines():
        if line.startswith(":"):
            continue
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif line == "" and event:
            text = "\n".join(data)
            yield event, orjson.loads(text) if text else None
            event, data = "", []
