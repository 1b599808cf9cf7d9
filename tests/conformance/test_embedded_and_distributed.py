"""The embedded mode (in-process ASGI transports) and the distributed mode (one
uvicorn server per subgraph, reached over HTTP at its join__Graph URL) return
identical responses."""

from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING, Any

import httpx
import uvicorn

from gateway.config import load_config
from gateway.server import create_app
from tests.conformance.harness import (
    Subgraph,
    fixture_sdl,
    subgraph_app,
    supergraph_sdl,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tests.conformance.harness import GatewayFactory

FIXTURE = "fed1_subgraphs"

PRODUCTS = [
    {"__typename": "Product", "upc": "1", "name": "Table", "price": 899, "weight": 100},
    {
        "__typename": "Product",
        "upc": "2",
        "name": "Couch",
        "price": 1299,
        "weight": 1000,
    },
]
REVIEWS = [
    {
        "__typename": "Review",
        "id": "r1",
        "body": "Love it!",
        "author": {"__typename": "User", "id": "u1", "username": "@ada"},
    }
]


def subgraphs() -> dict[str, Subgraph]:
    return {
        "accounts": Subgraph(
            fixture_sdl(FIXTURE, "accounts"),
            query={"me": {"__typename": "User", "id": "u1", "username": "@ada"}},
            entities={"User": [{"id": "u1", "username": "@ada"}]},
        ),
        "products": Subgraph(
            fixture_sdl(FIXTURE, "products"),
            query={"topProducts": lambda _, first=5: PRODUCTS[:first]},
        ),
        "inventory": Subgraph(
            fixture_sdl(FIXTURE, "inventory"),
            entities={
                "Product": lambda rep: {
                    "inStock": rep["upc"] == "1",
                    "shippingEstimate": lambda p: p["weight"] // 2,
                }
            },
        ),
        "reviews": Subgraph(
            fixture_sdl(FIXTURE, "reviews"),
            query={"topReviews": lambda _, first=5: REVIEWS[:first]},
            entities={"User": lambda rep: {"reviews": REVIEWS}},
        ),
    }


OPERATIONS: list[tuple[str, dict[str, Any] | None]] = [
    ("{ me { id username } }", None),
    ("{ topProducts { name inStock shippingEstimate } }", None),
    ("query($n: Int) { topProducts(first: $n) { upc } }", {"n": 1}),
    ("{ me { reviews { body author { username } } } topReviews { id } }", None),
    ('{ __type(name: "Product") { fields { name } } }', None),
    ("{ me { nope } }", None),
]


async def _serve(app: Any) -> tuple[uvicorn.Server, asyncio.Task[None], int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    # Listening before uvicorn starts: early connections wait in the backlog, so
    # there is no start-up to poll for.
    sock.listen(128)
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="off", log_level="warning", ws="none")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    return server, task, port


async def _stop(servers: list[tuple[uvicorn.Server, asyncio.Task[None], int]]) -> None:
    for server, _, _ in servers:
        server.should_exit = True
    await asyncio.gather(*(task for _, task, _ in servers))


async def _distributed_responses(
    sdl: str, graph: dict[str, Subgraph]
) -> AsyncIterator[dict[str, Any]]:
    servers = []
    try:
        for name, subgraph in graph.items():
            server = await _serve(subgraph_app(subgraph))
            servers.append(server)
            sdl = sdl.replace(
                f'url: "http://{name}.example/graphql"',
                f'url: "http://127.0.0.1:{server[2]}/graphql"',
            )
        config = load_config(environ={}, values={"subgraph_timeout": 5.0})
        app = create_app(sdl, config=config)
        async with (
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://gateway"
            ) as client,
            app.router.lifespan_context(app),
        ):
            for query, variables in OPERATIONS:
                response = await client.post(
                    "/graphql", json={"query": query, "variables": variables}
                )
                yield response.json()
    finally:
        await _stop(servers)


async def test_http_and_asgi_transports_give_identical_responses(
    gateway: GatewayFactory,
) -> None:
    sdl = supergraph_sdl(FIXTURE)
    assert 'url: "http://accounts.example/graphql"' in sdl
    embedded = await gateway(sdl, subgraphs())
    expected = [await embedded.query(q, v) for q, v in OPERATIONS]
    distributed = [r async for r in _distributed_responses(sdl, subgraphs())]
    assert distributed == expected
    assert expected[0] == {"data": {"me": {"id": "u1", "username": "@ada"}}}
    assert expected[1] == {
        "data": {
            "topProducts": [
                {"name": "Table", "inStock": True, "shippingEstimate": 50},
                {"name": "Couch", "inStock": False, "shippingEstimate": 500},
            ]
        }
    }
