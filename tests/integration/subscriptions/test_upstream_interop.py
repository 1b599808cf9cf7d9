"""The gateway's upstream websocket client (issue 14) against real servers over TCP:
a Strawberry subgraph under uvicorn, and the `websockets` library's server (an
independent implementation that fragments, pings and closes on request)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

import orjson
import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.typing import Subprotocol

from gateway.errors import SubgraphBadResponse, SubgraphError, SubgraphUnavailable
from gateway.transport import SubgraphRequest, SubgraphResponse, WebSocketTransport

from .graph import Bus, rooms_app, starlette_app

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    Serve = Callable[[Any], contextlib.AbstractAsyncContextManager[str]]

ROOM = SubgraphRequest(
    "rooms",
    "subscription($room: String!) { messageAdded(room: $room) { id body } }",
    {"room": "general"},
    None,
    {"authorization": "Bearer t"},
)
REQUEST = SubgraphRequest(
    "chat", "subscription { ticks }", {}, None, {"authorization": "Bearer t"}
)


async def collect(
    stream: AsyncIterator[list[SubgraphResponse]],
) -> tuple[list[Any], SubgraphError | None]:
    seen: list[Any] = []
    try:
        async for burst in stream:
            seen.extend(r.data for r in burst)
    except SubgraphError as exc:
        return seen, exc
    return seen, None


async def test_a_strawberry_subgraph_under_uvicorn(uvicorn_server: Serve) -> None:
    bus = Bus()
    async with uvicorn_server(starlette_app(rooms_app(bus))) as url:
        transport = WebSocketTransport(
            "rooms", url + "/graphql", timeout=5, ping_interval=0.2, ping_timeout=1
        )
        stream = transport.bursts(ROOM)
        consumer = asyncio.create_task(collect(stream))
        await asyncio.wait_for(bus.wait_for("general", 1), 5)
        assert bus.connection_params == [{"Authorization": "Bearer t"}]
        for n in range(3):
            await bus.publish("general", {"id": f"m{n}", "body": "hi", "author": "u1"})
        await asyncio.sleep(0.6)  # pings go and are answered meanwhile
        assert not consumer.done()
        consumer.cancel()  # the consumer stops: `complete` ends the operation
        with contextlib.suppress(asyncio.CancelledError):
            await consumer
        await asyncio.wait_for(bus.wait_for("general", 0), 5)


async def test_a_strawberry_subgraph_received_in_order(uvicorn_server: Serve) -> None:
    bus = Bus()
    async with uvicorn_server(starlette_app(rooms_app(bus))) as url:
        transport = WebSocketTransport("rooms", url + "/graphql", timeout=5)
        stream = transport.bursts(ROOM)
        first = asyncio.ensure_future(anext(stream))
        await asyncio.wait_for(bus.wait_for("general", 1), 5)
        for n in range(50):
            await bus.publish("general", {"id": f"m{n}", "body": "x", "author": "u1"})
        seen = [r.data for r in await asyncio.wait_for(first, 5)]
        while len(seen) < 50:
            seen.extend(r.data for r in await asyncio.wait_for(anext(stream), 5))
        assert seen == [
            {"messageAdded": {"id": f"m{n}", "body": "x"}} for n in range(50)
        ]
        await stream.aclose()
        await asyncio.wait_for(bus.wait_for("general", 0), 5)


@contextlib.asynccontextmanager
async def websockets_server(
    handler: Callable[[ServerConnection], Awaitable[None]],
    protocol: str = "graphql-transport-ws",
) -> AsyncIterator[str]:
    async def run(socket: ServerConnection) -> None:
        init = orjson.loads(await socket.recv())
        assert init == {
            "type": "connection_init",
            "payload": {"Authorization": "Bearer t"},
        }
        await socket.send('{"type":"connection_ack"}')
        subscribe = orjson.loads(await socket.recv())
        assert subscribe["type"] == "subscribe"
        await handler(socket)

    async with serve(
        run, "127.0.0.1", 0, subprotocols=[Subprotocol(protocol)], compression=None
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}/graphql"


def event(n: int) -> str:
    return orjson.dumps(
        {"id": "1", "type": "next", "payload": {"data": {"n": n}}}
    ).decode()


async def test_fragments_and_server_pings_from_the_websockets_server() -> None:
    pong_latency: list[float] = []

    async def handler(socket: ServerConnection) -> None:
        await socket.send(event(0))
        text = event(1)
        await socket.send([text[:5], text[5:17], text[17:]])  # three fragments
        pong_latency.append(await (await socket.ping(b"hello")))
        await socket.send('{"type":"ping"}')
        assert orjson.loads(await socket.recv()) == {"type": "pong"}
        await socket.send(event(2))
        await socket.send('{"id":"1","type":"complete"}')
        await socket.wait_closed()
        assert socket.close_code == 1000

    async with websockets_server(handler) as url:
        stream = WebSocketTransport("chat", url, timeout=5).bursts(REQUEST)
        seen, error = await asyncio.wait_for(collect(stream), 10)
    assert error is None
    assert seen == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert len(pong_latency) == 1


async def test_our_pings_are_answered_by_the_websockets_server() -> None:
    async def handler(socket: ServerConnection) -> None:
        await asyncio.sleep(0.7)  # several of our pings, each answered
        await socket.send(event(0))
        await socket.send('{"id":"1","type":"complete"}')
        await socket.wait_closed()

    async with websockets_server(handler) as url:
        transport = WebSocketTransport(
            "chat", url, timeout=5, ping_interval=0.1, ping_timeout=0.3
        )
        seen, error = await asyncio.wait_for(collect(transport.bursts(REQUEST)), 10)
    assert (seen, error) == ([{"n": 0}], None)


async def test_a_close_from_the_websockets_server_mid_stream() -> None:
    async def handler(socket: ServerConnection) -> None:
        await socket.send(event(0))
        await socket.close(1011, "internal error")

    async with websockets_server(handler) as url:
        stream = WebSocketTransport("chat", url, timeout=5).bursts(REQUEST)
        seen, error = await asyncio.wait_for(collect(stream), 10)
    assert seen == [{"n": 0}]
    assert isinstance(error, SubgraphUnavailable)
    assert "closed (1011: internal error)" in str(error)


async def test_a_message_too_big_from_the_websockets_server() -> None:
    async def handler(socket: ServerConnection) -> None:
        await socket.send(event(0))
        await socket.send(event(1) + " " * 5000)
        with contextlib.suppress(Exception):
            await socket.wait_closed()
        assert socket.close_code == 1009

    async with websockets_server(handler) as url:
        transport = WebSocketTransport("chat", url, timeout=5, max_message_size=4096)
        seen, error = await asyncio.wait_for(collect(transport.bursts(REQUEST)), 10)
    assert seen == [{"n": 0}]
    assert isinstance(error, SubgraphBadResponse)


async def test_a_consumer_that_stops_completes_and_closes_normally() -> None:
    received: list[Any] = []

    async def handler(socket: ServerConnection) -> None:
        await socket.send(event(0))
        with contextlib.suppress(Exception):
            async for message in socket:
                received.append(orjson.loads(message))
        received.append(socket.close_code)

    async with websockets_server(handler) as url:
        stream = WebSocketTransport("chat", url, timeout=5).bursts(REQUEST)
        burst = await asyncio.wait_for(anext(stream), 5)
        assert [r.data for r in burst] == [{"n": 0}]
        await stream.aclose()
        for _ in range(100):
            if len(received) == 2:
                break
            await asyncio.sleep(0.02)
    assert received == [{"id": "1", "type": "complete"}, 1000]


@pytest.mark.parametrize("protocol", ["graphql-ws", "something-else"])
async def test_a_server_speaking_another_subprotocol(protocol: str) -> None:
    async def handler(socket: ServerConnection) -> None:
        raise AssertionError("never reached")

    async with websockets_server(handler, protocol) as url:
        stream = WebSocketTransport("chat", url, timeout=5).bursts(REQUEST)
        seen, error = await asyncio.wait_for(collect(stream), 10)
    assert seen == []
    # websockets refuses the upgrade (HTTP 400) when none of ours is spoken; a
    # 101 without graphql-transport-ws is a SubgraphBadResponse (unit tests).
    assert isinstance(error, SubgraphUnavailable)
    assert "HTTP 400" in str(error)
