"""The embedded mode: subgraph apps in process, subscribed to through their ASGI
websocket scope (no network between gateway and subgraphs)."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import httpx

from gateway.server import create_app
from gateway.transport import AsgiTransport

from .clients import receive, send, sse_events, transport_ws
from .conftest import compose_graph
from .graph import SUBSCRIPTION, Bus, Crash, people_app, rooms_app, starlette_app
from .test_lifecycle import token

if TYPE_CHECKING:
    import contextlib
    from collections.abc import Callable

    from gateway.config import GatewayConfig

    from .conftest import Graph

SUBSCRIBE = {"query": SUBSCRIPTION, "variables": {"room": "general"}}


async def test_embedded_subgraphs_serve_federated_events_and_failures(
    uvicorn_server: Callable[..., contextlib.AbstractAsyncContextManager[str]],
    gateway_config: GatewayConfig,
) -> None:
    bus = Bus()
    apps = {"rooms": rooms_app(bus), "people": people_app(bus)}
    urls = {name: f"http://{name}.invalid/graphql" for name in apps}
    transports = {
        name: AsgiTransport(name, starlette_app(app)) for name, app in apps.items()
    }
    app = create_app(
        await compose_graph(urls, apps),
        transports=transports,
        config=gateway_config,
    )
    async with uvicorn_server(app) as base_url:
        url = base_url.replace("http://", "ws://") + "/graphql"
        async with transport_ws(url) as client:
            await send(client, {"id": "1", "type": "subscribe", "payload": SUBSCRIBE})
            await bus.wait_for("general", 1)
            await bus.publish("general", {"id": "m", "body": "hi", "author": "u2"})
            message = await receive(client)
            assert message["payload"] == {
                "data": {
                    "messageAdded": {
                        "id": "m",
                        "body": "hi",
                        "author": {"id": "u2", "name": "Grace"},
                    }
                }
            }
            await bus.publish("general", Crash("gone"))
            assert (await receive(client))["payload"]["errors"]
            assert await receive(client) == {"id": "1", "type": "complete"}


async def test_an_unreachable_subgraph_ends_the_sse_stream_with_an_error(
    uvicorn_server: Callable[..., contextlib.AbstractAsyncContextManager[str]],
    gateway_config: GatewayConfig,
) -> None:
    bus = Bus()
    apps = {"rooms": rooms_app(bus), "people": people_app(bus)}
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    urls = {name: f"http://127.0.0.1:{port}/graphql" for name in apps}
    app = create_app(await compose_graph(urls, apps), config=gateway_config)
    async with (
        uvicorn_server(app) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=10) as client,
        client.stream(
            "POST",
            "/graphql",
            json=SUBSCRIBE,
            headers={"accept": "text/event-stream"},
        ) as response,
    ):
        events = [event async for event in sse_events(response)]
    assert [name for name, _ in events] == ["next", "complete"]
    error = events[0][1]["errors"][0]
    assert error["extensions"] == {
        "code": "SUBGRAPH_UNAVAILABLE",
        "serviceName": "rooms",
    }


async def test_an_sse_request_with_an_expired_token_is_refused_with_401(
    graph: Graph,
) -> None:
    async with httpx.AsyncClient(base_url=graph.gateway_url, timeout=10) as client:
        response = await client.post(
            "/graphql",
            json=SUBSCRIBE,
            headers={
                "accept": "text/event-stream",
                "authorization": f"Bearer {token(expires_in=-5)}",
            },
        )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_an_oversized_sse_request_is_refused_with_413(graph: Graph) -> None:
    padding = "x" * 1_100_000  # over the default 1 MiB limit
    async with httpx.AsyncClient(base_url=graph.gateway_url, timeout=10) as client:
        response = await client.post(
            "/graphql",
            json={**SUBSCRIBE, "extensions": {"padding": padding}},
            headers={
                "accept": "text/event-stream",
                "authorization": f"Bearer {token()}",
            },
        )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
