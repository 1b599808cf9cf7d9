"""Two small Strawberry federation subgraphs with a pub/sub the test triggers.

`rooms` owns `Subscription.messageAdded(room)` whose Message carries an `author`
User stub; `people` owns User's `name`. So every event needs an entity jump to a
second subgraph before a client sees it. `rooms.crash(room)` makes the open
subscriptions of a room fail.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncGenerator  # noqa: TC003 - strawberry reads it
from dataclasses import dataclass, field
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL
from strawberry.federation.schema_directives import Key

NAMES = {"u1": "Ada", "u2": "Grace"}


class Crash(Exception):
    """Ends a subscription with an error (a failing upstream)."""


@dataclass
class Bus:
    """In-process pub/sub with counters the tests read (no sleeps: they wait)."""

    queues: dict[str, set[asyncio.Queue[Any]]] = field(
        default_factory=lambda: defaultdict(set)
    )
    subscribe_count: int = 0
    requests: list[str] = field(default_factory=list)
    connection_params: list[Any] = field(default_factory=list)
    socket_senders: list[Any] = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def publish(self, room: str, item: Any) -> None:
        for queue in list(self.queues[room]):
            queue.put_nowait(item)

    async def drop_connections(self) -> None:
        """Close every open websocket from the server side, as a crash would."""
        for send in self.socket_senders:
            with contextlib.suppress(Exception):
                await send({"type": "websocket.close", "code": 1011})

    async def wait_for(self, room: str, listeners: int) -> None:
        """Until `room` has exactly `listeners` open subscriptions."""
        async with self.changed:
            await self.changed.wait_for(lambda: len(self.queues[room]) == listeners)

    async def _notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()


@strawberry.federation.type(keys=[Key(fields="id", resolvable=False)], name="User")
class UserStub:
    id: strawberry.ID


@strawberry.type
class Message:
    id: strawberry.ID
    body: str
    author: UserStub


@strawberry.type
class RoomsQuery:
    @strawberry.field
    def rooms(self) -> list[str]:
        return ["general"]


@strawberry.type
class RoomsSubscription:
    @strawberry.subscription
    async def message_added(
        self, info: strawberry.Info, room: str
    ) -> AsyncGenerator[Message, None]:
        bus: Bus = info.context["bus"]
        queue: asyncio.Queue[Any] = asyncio.Queue()
        bus.subscribe_count += 1
        bus.queues[room].add(queue)
        await bus._notify()
        try:
            while True:
                item = await queue.get()
                if isinstance(item, Crash):
                    raise item
                yield Message(
                    id=strawberry.ID(item["id"]),
                    body=item["body"],
                    author=UserStub(id=strawberry.ID(item["author"])),
                )
        finally:
            bus.queues[room].discard(queue)
            await bus._notify()


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID
    name: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User:
        return User(id=id, name=NAMES.get(str(id), "?"))


@strawberry.type
class PeopleQuery:
    @strawberry.field
    def user(self, id: strawberry.ID) -> User:
        return User(id=id, name=NAMES.get(str(id), "?"))


class BusGraphQL(GraphQL[Any, Any]):
    """Strawberry's ASGI app with the bus in the context; counts POSTs."""

    def __init__(self, schema: strawberry.federation.Schema, bus: Bus) -> None:
        super().__init__(schema)
        self.bus = bus

    async def get_context(self, request: Any, response: Any) -> Any:
        return {"request": request, "response": response, "bus": self.bus}

    async def on_ws_connect(self, context: Any) -> Any:
        self.bus.connection_params.append(context.get("connection_params"))
        return await super().on_ws_connect(context)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("method") == "POST":
            self.bus.requests.append(scope["path"])
        if scope["type"] == "websocket":
            self.bus.socket_senders.append(send)
        await super().__call__(scope, receive, send)


def rooms_app(bus: Bus) -> BusGraphQL:
    schema = strawberry.federation.Schema(
        query=RoomsQuery, subscription=RoomsSubscription, types=[UserStub]
    )
    return BusGraphQL(schema, bus)


def people_app(bus: Bus) -> BusGraphQL:
    schema = strawberry.federation.Schema(query=PeopleQuery, types=[User])
    return BusGraphQL(schema, bus)


def starlette_app(app: BusGraphQL) -> Starlette:
    """The subgraph at /graphql (HTTP and websocket), with a lifespan for uvicorn."""
    return Starlette(
        routes=[
            Route("/graphql", app, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", app),
        ]
    )


async def subgraph_sdl(app: GraphQL[Any, Any]) -> str:
    result = await app.schema.execute("{ _service { sdl } }")
    assert result.data is not None, result.errors
    return str(result.data["_service"]["sdl"])


SUBSCRIPTION = """
subscription Room($room: String!) {
  messageAdded(room: $room) { id body author { id name } }
}
"""
