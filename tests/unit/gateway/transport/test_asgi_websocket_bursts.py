"""The in-process subscription transport hands over the events an ASGI app sent
together as one burst (issue 14), as the websocket transport does."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import orjson
import pytest

from gateway.errors import SubgraphUnavailable
from gateway.transport import AsgiWebSocketTransport, SubgraphRequest

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, MutableMapping

REQUEST = SubgraphRequest(
    "rooms", "subscription { tick }", {}, None, {"authorization": "Bearer t"}
)


class App:
    """A graphql-transport-ws server that sends `events` nexts at once, then
    `complete` (or closes the socket with `close_with`)."""

    def __init__(self, events: int, *, close_with: int | None = None) -> None:
        self.events = events
        self.close_with = close_with
        self.received: list[dict[str, Any]] = []
        self.done = asyncio.Event()

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        assert scope["type"] == "websocket"
        assert (await receive())["type"] == "websocket.connect"
        await send({"type": "websocket.accept", "subprotocol": "graphql-transport-ws"})

        async def text(message: dict[str, Any]) -> None:
            await send(
                {"type": "websocket.send", "text": orjson.dumps(message).decode()}
            )

        while True:
            message = await receive()
            if message["type"] != "websocket.receive":
                break
            parsed = orjson.loads(message["text"])
            self.received.append(parsed)
            if parsed["type"] == "connection_init":
                await text({"type": "connection_ack"})
            elif parsed["type"] == "subscribe":
                for n in range(self.events):
                    await text(
                        {"id": "1", "type": "next", "payload": {"data": {"n": n}}}
                    )
                if self.close_with is not None:
                    await send({"type": "websocket.close", "code": self.close_with})
                    break
                await text({"id": "1", "type": "complete"})
        self.done.set()


async def test_events_sent_together_come_as_bursts_of_at_most_the_limit() -> None:
    app = App(5)
    transport = AsgiWebSocketTransport("rooms", app)
    bursts = [b async for b in transport.bursts(REQUEST, 2)]
    assert [[r.data for r in burst] for burst in bursts] == [
        [{"n": 0}, {"n": 1}],
        [{"n": 2}, {"n": 3}],
        [{"n": 4}],
    ]
    init = app.received[0]
    assert init == {"type": "connection_init", "payload": {"Authorization": "Bearer t"}}


async def test_a_close_after_events_yields_them_then_is_unavailable() -> None:
    app = App(3, close_with=1011)
    transport = AsgiWebSocketTransport("rooms", app)
    seen: list[Any] = []

    async def read() -> None:
        async for burst in transport.bursts(REQUEST):
            seen.extend(r.data for r in burst)

    with pytest.raises(SubgraphUnavailable, match=r"closed \(1011\)"):
        await read()
    assert seen == [{"n": 0}, {"n": 1}, {"n": 2}]
