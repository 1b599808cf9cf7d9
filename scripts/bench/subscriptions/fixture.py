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

import orjson
import strawberry
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL
from strawberry.federation.schema_directives import Key

JSONObject = dict[str, Any]
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
        publish(room, body, author)
        return Message(
            id=strawberry.ID(str(_counter)),
            room=room,
            body=body,
            author=UserStub(id=author),
        )


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


def publish(room: str, body: str, author: str) -> JSONObject:
    """sendMessage's effect and answer, shared by Strawberry and the fast path."""
    global _counter
    _counter += 1
    message = Message(
        id=strawberry.ID(str(_counter)),
        room=room,
        body=body,
        author=UserStub(id=strawberry.ID(author)),
    )
    for queue in ROOMS[room]:
        queue.put_nowait(message)
    return {"data": {"sendMessage": {"id": message.id}}}


def entities(representations: list[JSONObject]) -> JSONObject:
    return {
        "data": {
            "_entities": [
                {"__typename": "User", "name": f"user {r['id']}"}
                for r in representations
            ]
        }
    }


class FastPath:
    """Answers the writer's mutation and the gateway's `_entities` without Strawberry,
    so the HTTP side of the fixture is never the bench's bottleneck; everything
    else (subscriptions above all) is Strawberry's."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        request = orjson.loads(body)
        query = request.get("query", "")
        variables = request.get("variables") or {}
        answer = None
        if "sendMessage" in query and "room" in variables:
            answer = publish(variables["room"], variables["body"], variables["author"])
        elif "_entities" in query and "representations" in variables:
            answer = entities(variables["representations"])
        if answer is None:
            replayed = False

            async def replay() -> Any:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            await self.app(scope, replay, send)
            return
        payload = orjson.dumps(answer)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


def app_of(schema: strawberry.federation.Schema) -> Any:
    graphql = GraphQL[Any, Any](schema, graphql_ide=None)
    return FastPath(
        Starlette(
            routes=[
                Route("/graphql", graphql, methods=["GET", "POST"]),
                WebSocketRoute("/graphql", graphql),
            ]
        )
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
