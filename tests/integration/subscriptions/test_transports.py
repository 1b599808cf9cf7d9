"""Each client protocol, through the gateway, to a subscription whose events need
fields from a second subgraph: event received with those fields, then complete."""

from __future__ import annotations

import asyncio
import hashlib
from typing import TYPE_CHECKING

import httpx

from .clients import legacy_ws, receive, send, sse_events, transport_ws
from .graph import SUBSCRIPTION

if TYPE_CHECKING:
    from .conftest import Graph

EVENT = {"id": "m1", "body": "hello", "author": "u1"}
EXPECTED = {
    "data": {
        "messageAdded": {
            "id": "m1",
            "body": "hello",
            "author": {"id": "u1", "name": "Ada"},
        }
    }
}
SUBSCRIBE = {"query": SUBSCRIPTION, "variables": {"room": "general"}}


async def test_graphql_transport_ws_event_carries_the_second_subgraphs_fields(
    graph: Graph,
) -> None:
    async with transport_ws(graph.ws_url) as socket:
        await send(socket, {"id": "1", "type": "subscribe", "payload": SUBSCRIBE})
        await graph.bus.wait_for("general", 1)
        await graph.bus.publish("general", EVENT)
        assert await receive(socket) == {"id": "1", "type": "next", "payload": EXPECTED}
        await send(socket, {"id": "1", "type": "complete"})
        await graph.bus.wait_for("general", 0)


async def test_legacy_graphql_ws_event_carries_the_second_subgraphs_fields(
    graph: Graph,
) -> None:
    async with legacy_ws(graph.ws_url) as socket:
        await send(socket, {"id": "7", "type": "start", "payload": SUBSCRIBE})
        await graph.bus.wait_for("general", 1)
        await graph.bus.publish("general", EVENT)
        assert await receive(socket) == {"id": "7", "type": "data", "payload": EXPECTED}
        await send(socket, {"id": "7", "type": "stop"})
        await graph.bus.wait_for("general", 0)
        await send(socket, {"type": "connection_terminate"})


async def test_sse_event_carries_the_second_subgraphs_fields_then_completes(
    graph: Graph,
) -> None:
    async with (
        httpx.AsyncClient(base_url=graph.gateway_url, timeout=10) as client,
        client.stream(
            "POST",
            "/graphql",
            json=SUBSCRIBE,
            headers={"accept": "text/event-stream"},
        ) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events(response)
        await graph.bus.wait_for("general", 1)
        await graph.bus.publish("general", EVENT)
        assert await anext(events) == ("next", EXPECTED)
    # Closing the response is the client's `complete` in distinct connections mode.
    await graph.bus.wait_for("general", 0)


async def test_a_burst_of_events_arrives_in_order_with_few_entity_requests(
    graph: Graph,
) -> None:
    async with transport_ws(graph.ws_url) as socket:
        await send(socket, {"id": "1", "type": "subscribe", "payload": SUBSCRIBE})
        await graph.bus.wait_for("general", 1)
        before = len(graph.bus.requests)
        for index in range(20):
            author = "u1" if index % 2 else "u2"
            event = {"id": f"m{index}", "body": str(index), "author": author}
            await graph.bus.publish("general", event)
        received = [await receive(socket) for _ in range(20)]
        bodies = [m["payload"]["data"]["messageAdded"]["body"] for m in received]
        assert bodies == [str(i) for i in range(20)]
        names = {
            m["payload"]["data"]["messageAdded"]["author"]["name"] for m in received
        }
        assert names == {"Ada", "Grace"}
        # Events that arrive together share `_entities` requests.
        assert len(graph.bus.requests) - before < 20


async def test_a_query_over_graphql_transport_ws_answers_once_and_completes(
    graph: Graph,
) -> None:
    async with transport_ws(graph.ws_url) as socket:
        query = {"query": '{ user(id: "u2") { name } rooms }'}
        await send(socket, {"id": "q", "type": "subscribe", "payload": query})
        assert await receive(socket) == {
            "id": "q",
            "type": "next",
            "payload": {"data": {"user": {"name": "Grace"}, "rooms": ["general"]}},
        }
        assert await receive(socket) == {"id": "q", "type": "complete"}


async def test_an_invalid_subscription_is_answered_with_an_error_message(
    graph: Graph,
) -> None:
    async with transport_ws(graph.ws_url) as socket:
        payload = {"query": "subscription { nope }"}
        await send(socket, {"id": "1", "type": "subscribe", "payload": payload})
        message = await receive(socket)
        assert message["type"] == "error"
        assert message["id"] == "1"
        assert message["payload"][0]["extensions"]["code"] == (
            "GRAPHQL_VALIDATION_FAILED"
        )
        await send(socket, {"type": "ping"})
        assert orjson_loads(await socket.recv()) == {"type": "pong"}


def orjson_loads(text: str | bytes) -> object:
    import orjson

    return orjson.loads(text)


async def test_the_gateway_answers_ping_with_pong_before_any_event(
    graph: Graph,
) -> None:
    async with transport_ws(graph.ws_url) as socket:
        await send(socket, {"type": "ping", "payload": {"n": 1}})
        reply = await asyncio.wait_for(socket.recv(), 5)
        assert orjson_loads(reply) == {"type": "pong"}


async def test_a_persisted_query_runs_by_its_hash_on_every_streaming_transport(
    graph: Graph,
) -> None:
    digest = hashlib.sha256(SUBSCRIPTION.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    by_hash = {"variables": {"room": "general"}, "extensions": extensions}
    async with httpx.AsyncClient(base_url=graph.gateway_url, timeout=10) as client:
        # Unknown yet: the SSE request is refused before the stream opens.
        miss = await client.post(
            "/graphql", json=by_hash, headers={"accept": "text/event-stream"}
        )
        assert miss.status_code == 400
        code = miss.json()["errors"][0]["extensions"]["code"]
        assert code == "PERSISTED_QUERY_NOT_FOUND"
    async with transport_ws(graph.ws_url) as socket:
        await send(
            socket,
            {"id": "1", "type": "subscribe", "payload": {**SUBSCRIBE, **by_hash}},
        )
        await graph.bus.wait_for("general", 1)
        await send(socket, {"id": "1", "type": "complete"})
        await graph.bus.wait_for("general", 0)
        # Registered by the first subscribe: the hash alone is enough now.
        await send(socket, {"id": "2", "type": "subscribe", "payload": by_hash})
        await graph.bus.wait_for("general", 1)
        await graph.bus.publish("general", EVENT)
        assert await receive(socket) == {"id": "2", "type": "next", "payload": EXPECTED}
    async with (
        httpx.AsyncClient(base_url=graph.gateway_url, timeout=10) as client,
        client.stream(
            "POST",
            "/graphql",
            json=by_hash,
            headers={"accept": "text/event-stream"},
        ) as response,
    ):
        assert response.status_code == 200
        events = sse_events(response)
        await graph.bus.wait_for("general", 1)
        await graph.bus.publish("general", EVENT)
        assert await anext(events) == ("next", EXPECTED)
