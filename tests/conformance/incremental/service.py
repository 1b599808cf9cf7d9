"""Two subgraphs behind a real gateway served over a socket, for @defer's tests:
accounts (`me`, `users`, User.name) and reviews (User.reviews), whose entity
fetches can be held until a test lets them go."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import TYPE_CHECKING, Any

import uvicorn

from gateway.compose import SubgraphDefinition, compose
from gateway.config import load_config
from gateway.server import create_app
from gateway.transport import AsgiTransport
from tests.conformance.harness import Subgraph, subgraph_app

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", '
    'import: ["@key"])\n'
)
ACCOUNTS = LINK + (
    "type Query { me: User users: [User!]! }\n"
    'type User @key(fields: "id") { id: ID! name: String! }\n'
)
REVIEWS = LINK + (
    'type User @key(fields: "id") { id: ID! reviews: [Review!]! }\n'
    "type Review { body: String! stars: Int! }\n"
)
USERS = [
    {"__typename": "User", "id": "1", "name": "Ada"},
    {"__typename": "User", "id": "2", "name": "Grace"},
]
REVIEWS_OF = {
    "1": [{"body": "Lovely", "stars": 5}],
    "2": [{"body": "Meh", "stars": 2}, {"body": "Fine", "stars": 4}],
}


def supergraph() -> str:
    result = compose(
        [
            SubgraphDefinition("accounts", "http://accounts.test/graphql", ACCOUNTS),
            SubgraphDefinition("reviews", "http://reviews.test/graphql", REVIEWS),
        ]
    )
    assert result.supergraph_sdl is not None, result.errors
    return result.supergraph_sdl


class Gate:
    """Holds every request to the reviews subgraph until `open()`; `asked` is
    set when the first one arrives."""

    def __init__(self) -> None:
        self.opened = asyncio.Event()
        self.asked = asyncio.Event()

    def open(self) -> None:
        self.opened.set()

    def wrap(self, app: Callable[..., Awaitable[None]]) -> Callable[..., Any]:
        async def held(scope: Any, receive: Any, send: Any) -> None:
            self.asked.set()
            await self.opened.wait()
            await app(scope, receive, send)

        return held


def gateway_app(gate: Gate | None = None) -> Any:
    accounts = Subgraph(
        ACCOUNTS,
        query={"me": USERS[0], "users": USERS},
        entities={"User": [dict(u) for u in USERS]},
    )
    reviews = Subgraph(
        REVIEWS,
        entities={"User": [{"id": i, "reviews": r} for i, r in REVIEWS_OF.items()]},
    )
    reviews_app = subgraph_app(reviews)
    if gate is not None:
        reviews_app = gate.wrap(reviews_app)
    transports = {
        "accounts": AsgiTransport("accounts", subgraph_app(accounts)),
        "reviews": AsgiTransport("reviews", reviews_app),
    }
    config = load_config(environ={}, values={"csrf": {"enabled": False}})
    return create_app(supergraph(), transports=transports, config=config)


@contextlib.asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """`app` served by uvicorn on 127.0.0.1; yields its base URL. The socket
    listens before the server runs: nobody waits for it."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen(64)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        yield f"http://127.0.0.1:{listening.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        listening.close()
