"""The bench's two Strawberry federation subgraphs, in one process on two ports.

`rooms` (a chat stand-in): `sendMessage(room, body, author)` publishes in process to
`Subscription.messageAdded(room)`; a Message's `author` is a User stub. `people`
owns User's `name`, so every event through the gateway needs one entity jump.

Run: python fixture.py --rooms-port 43201 --people-port 43202
"""

from __future__ import annotations

import argparse
import asyncio
from collections import defaultdict
from collections.abc import AsyncGenerator  # noqa: TC003 - strawberry reads it
from typing import Any

import strawberry
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL
from strawberry.federation.schema_directives import Key

ROOMS: dict[str, set[asyncio.Queue[Message]]] = defaultdict(set)


@strawberry.federation.type(keys=[Key(fields="id", resolvable=False)], name="User")
class UserStub:
    id: strawberry.ID


@strawberry.type
class Message:
    id: strawberry.ID
    room: str
    body: str
    author: UserStub


@strawberry.type
class RoomsQuery:
    @strawberry.field
    def rooms(self) -> int:
        return len(ROOMS)


_counter = 0


@strawberry.type
class RoomsMutation:
    @strawberry.mutation
    def send_message(self, room: str, body: str, author: strawberry.ID) -> Message:
        global _counter
        _counter += 1
        message = Message(
            id=strawberry.ID(str(_counter)),
            room=room,
            body=body,
            author=UserStub(id=author),
        )
        for queue in ROOMS[room]:
            queue.put_nowait(message)
        return message


@strawberry.type
class RoomsSubscription:
    @strawberry.subscription
    async def message_added(self, room: str) -> AsyncGenerator[Message, None]:
        queue: asyncio.Queue[Message] = asyncio.Queue()
        ROOMS[room].add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            ROOMS[room].discard(queue)


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID
    name: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User:
        return User(id=id, name=f"user {id}")


@strawberry.type
class PeopleQuery:
    @strawberry.field
    def user(self, id: strawberry.ID) -> User:
        return User(id=id, name=f"user {id}")


def app_of(schema: strawberry.federation.Schema) -> Starlette:
    graphql = GraphQL[Any, Any](schema, graphql_ide=None)
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
        ]
    )


ROOMS_SCHEMA = strawberry.federation.Schema(
    query=RoomsQuery,
    mutation=RoomsMutation,
    subscription=RoomsSubscription,
    types=[UserStub],
)
PEOPLE_SCHEMA = strawberry.federation.Schema(query=PeopleQuery, types=[User])


async def serve(rooms_port: int, people_port: int) -> None:
    servers = [
        uvicorn.Server(
            uvicorn.Config(
                app_of(schema),
                host="127.0.0.1",
                port=port,
                log_level="warning",
                ws="websockets-sansio",
                backlog=4096,
                lifespan="off",
            )
        )
        for schema, port in ((ROOMS_SCHEMA, rooms_port), (PEOPLE_SCHEMA, people_port))
    ]
    await asyncio.gather(*(server.serve() for server in servers))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rooms-port", type=int, default=43201)
    parser.add_argument("--people-port", type=int, default=43202)
    args = parser.parse_args()
    asyncio.run(serve(args.rooms_port, args.people_port))


if __name__ == "__main__":
    main()
