"""Sharing, failure, auth, slow clients and shutdown, through the real gateway."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import jwt
import orjson
import pytest
import websockets
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from gateway.config import GatewayConfig, load_config

from .clients import receive, send, transport_ws
from .conftest import JWT_SECRET
from .graph import SUBSCRIPTION, Crash

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

    from .conftest import Graph


def subscribe(room: str, id: str = "1") -> dict[str, object]:
    return {
        "id": id,
        "type": "subscribe",
        "payload": {"query": SUBSCRIPTION, "variables": {"room": room}},
    }


def token(*, sub: str = "u1", expires_in: int = 600) -> str:
    claims = {
        "sub": sub,
        "tenant": "t1",
        "roles": ["member"],
        "scopes": ["chat"],
        "type": "access",
        "iss": "agora",
        "iat": int(time.time()),
        "exp": int(time.time()) + expires_in,
    }
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


async def closed_with(socket: ClientConnection) -> int | None:
    """Read until the gateway closes the socket; its close code."""
    while True:
        try:
            await socket.recv()
        except ConnectionClosed:
            return socket.close_code


async def test_two_identical_subscriptions_share_one_upstream_subscription(
    graph: Graph,
) -> None:
    async with (
        transport_ws(graph.ws_url) as first,
        transport_ws(graph.ws_url) as second,
    ):
        await send(first, subscribe("general"))
        await graph.bus.wait_for("general", 1)
        await send(second, subscribe("general", id="2"))
        await send(second, {"type": "ping"})
        assert await second.recv() == '{"type":"pong"}'  # the subscribe was handled
        await graph.bus.publish("general", {"id": "m", "body": "b", "author": "u2"})
        for socket, id in ((first, "1"), (second, "2")):
            message = await receive(socket)
            assert message["id"] == id
            assert message["payload"]["data"]["messageAdded"]["author"] == {
                "id": "u2",
                "name": "Grace",
            }
        assert graph.bus.subscribe_count == 1
        # Different variables are a different upstream subscription.
        await send(second, subscribe("other", id="3"))
        await graph.bus.wait_for("other", 1)
        assert graph.bus.subscribe_count == 2
        # The shared upstream stays open until its last client leaves.
        await send(first, {"id": "1", "type": "complete"})
        await send(second, {"type": "ping"})
        assert await second.recv() == '{"type":"pong"}'
        assert len(graph.bus.queues["general"]) == 1
        await send(second, {"id": "2", "type": "complete"})
        await graph.bus.wait_for("general", 0)


async def test_a_failing_upstream_reaches_the_client_as_an_error_then_complete(
    graph: Graph,
) -> None:
    async with transport_ws(graph.ws_url) as socket:
        await send(socket, subscribe("general"))
        await graph.bus.wait_for("general", 1)
        await graph.bus.publish("general", Crash("the room exploded"))
        message = await receive(socket)
        assert message["type"] == "next"
        assert message["payload"]["errors"][0]["message"]
        assert await receive(socket) == {"id": "1", "type": "complete"}


async def test_an_upstream_that_goes_away_ends_with_an_error_then_complete(
    graph: Graph,
) -> None:
    async with transport_ws(graph.ws_url) as socket:
        await send(socket, subscribe("general"))
        await graph.bus.wait_for("general", 1)
        # The upstream socket closes without `complete` (subgraph crash or restart).
        await graph.bus.drop_connections()
        message = await receive(socket)
        assert message["type"] == "next"
        error = message["payload"]["errors"][0]
        assert error["extensions"]["serviceName"] == "rooms"
        assert await receive(socket) == {"id": "1", "type": "complete"}


async def test_the_callers_token_is_checked_once_and_its_identity_signed_upstream(
    graph: Graph,
) -> None:
    bearer = f"Bearer {token()}"
    async with transport_ws(graph.ws_url, {"Authorization": bearer}) as socket:
        await send(socket, subscribe("general"))
        await graph.bus.wait_for("general", 1)
    params = graph.bus.connection_params[-1]
    # The token stays at the gateway; the subgraph gets who it named, signed.
    assert "Authorization" not in params
    assert params["x-agora-user-id"] == "u1"
    assert params["x-agora-tenant-id"] == "t1"
    assert params["x-agora-roles"] == "member"
    assert params["x-agora-scopes"] == "chat"
    assert params["x-agora-signature"].startswith("v1=")


async def test_an_expired_token_closes_the_socket_with_4403(graph: Graph) -> None:
    expired = {"Authorization": f"Bearer {token(expires_in=-10)}"}
    async with transport_ws(graph.ws_url, ack=False) as socket:
        await send(socket, {"type": "connection_init", "payload": expired})
        assert await closed_with(socket) == 4403


async def test_protocol_violations_close_with_the_protocols_codes(
    graph: Graph,
) -> None:
    async with transport_ws(graph.ws_url, ack=False) as socket:
        await send(socket, subscribe("general"))
        assert await closed_with(socket) == 4401
    async with transport_ws(graph.ws_url) as socket:
        await send(socket, {"type": "connection_init"})
        assert await closed_with(socket) == 4429
    async with transport_ws(graph.ws_url) as socket:
        await send(socket, subscribe("general"))
        await send(socket, subscribe("general"))
        assert await closed_with(socket) == 4409
    async with transport_ws(graph.ws_url) as socket:
        await socket.send("not json")
        assert await closed_with(socket) == 4400


@pytest.fixture
def gateway_config() -> GatewayConfig:
    return load_config(
        environ={},
        values={
            "auth": {"jwt_secret": JWT_SECRET},
            "subscription": {"keepalive": 0, "outbox_limit": 4, "init_timeout": 0.5},
        },
    )


async def test_a_client_that_never_sends_connection_init_is_closed_with_4408(
    graph: Graph,
) -> None:
    async with transport_ws(graph.ws_url, ack=False) as socket:
        assert await closed_with(socket) == 4408


async def test_a_client_that_falls_behind_is_disconnected_with_1013(
    graph: Graph,
) -> None:
    async with connect(
        graph.ws_url,
        subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
        max_queue=1,
        max_size=None,
    ) as socket:
        await send(socket, {"type": "connection_init"})
        assert orjson.loads(await socket.recv()) == {"type": "connection_ack"}
        await send(socket, subscribe("general"))
        await graph.bus.wait_for("general", 1)
        body = "x" * 256_000
        for index in range(400):
            await graph.bus.publish(
                "general", {"id": str(index), "body": body, "author": "u1"}
            )
        # The client reads nothing until the gateway has given up on it.
        await graph.bus.wait_for("general", 0)
        assert await closed_with(socket) == 1013


async def test_gateway_shutdown_tells_clients_then_closes_with_1001(
    graph: Graph,
) -> None:
    async with transport_ws(graph.ws_url) as socket:
        await send(socket, subscribe("general"))
        await graph.bus.wait_for("general", 1)
        await graph.app.state.subscriptions.aclose()
        message = await receive(socket)
        assert message["payload"]["errors"][0]["extensions"]["code"] == (
            "SHUTTING_DOWN"
        )
        assert await receive(socket) == {"id": "1", "type": "complete"}
        assert await closed_with(socket) == 1001
