"""Realtime chat over real websockets (graphql-transport-ws) against uvicorn.

Each test runs on SQLite + in-memory pub/sub and on PostgreSQL + Redis.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from subgraphs.chat.app import create_app
from subgraphs.chat.cursors import encode_cursor
from subgraphs.chat.seed import DEMO_CONVERSATION_ID
from subgraphs.kit.context import gateway_identity_headers

if TYPE_CHECKING:
    from subgraphs.kit.settings import Settings

TENANT = "7d3c0a2e-0000-4000-8000-000000000001"
DEMO_USER = "7d3c0a2e-0000-4000-8000-000000000101"
ADMIN = "7d3c0a2e-0000-4000-8000-000000000102"
AGENT = "7d3c0a2e-0000-4000-8000-000000000103"
ROLES = {DEMO_USER: "member", ADMIN: "platform_admin", AGENT: "support_agent"}
CONVERSATION = str(DEMO_CONVERSATION_ID)
SEEDED = 4  # messages in the demo conversation

MESSAGE_EVENTS = """
subscription($id: ID!, $after: String) {
  messageEvents(conversationId: $id, after: $after) {
    kind message { seq text sender { id } }
  }
}"""


SEND_MESSAGE = (
    "mutation($input: SendMessageInput!) { sendMessage(input: $input) { seq } }"
)


def identity(settings: Settings, user_id: str) -> dict[str, str]:
    return gateway_identity_headers(
        settings.gateway_secret,
        user_id=user_id,
        tenant_id=TENANT,
        roles=[ROLES[user_id]],
    )


class TransportWsClient:
    """The client side of graphql-transport-ws, enough for these tests."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.next_id = 0

    @classmethod
    async def open(cls, base_url: str, headers: dict[str, str]) -> TransportWsClient:
        socket = await connect(
            base_url.replace("http", "ws", 1) + "/graphql",
            subprotocols=[Subprotocol("graphql-transport-ws")],
            additional_headers=headers,
        )
        await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
        ack = json.loads(await asyncio.wait_for(socket.recv(), 5))
        assert ack["type"] == "connection_ack", ack
        return cls(socket)

    async def subscribe(self, query: str, **variables: Any) -> str:
        self.next_id += 1
        op_id = str(self.next_id)
        message = {"query": query, "variables": variables}
        await self.socket.send(
            json.dumps({"id": op_id, "type": "subscribe", "payload": message})
        )
        return op_id

    async def next(self, timeout: float = 5.0) -> dict[str, Any]:
        """The data of the next `next` message; fails on `error`."""
        message = json.loads(await asyncio.wait_for(self.socket.recv(), timeout))
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        data: dict[str, Any] = message["payload"]["data"]
        return data

    async def close(self) -> None:
        await self.socket.close()


async def send(
    client: httpx.AsyncClient, settings: Settings, sender: str, text: str
) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        headers=identity(settings, sender),
        json={
            "query": SEND_MESSAGE,
            "variables": {"input": {"conversationId": CONVERSATION, "text": text}},
        },
    )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body["data"]["sendMessage"]


async def set_typing(client: httpx.AsyncClient, settings: Settings, user: str) -> None:
    response = await client.post(
        "/graphql",
        headers=identity(settings, user),
        json={
            "query": f'mutation {{ setTyping(conversationId: "{CONVERSATION}", '
            "typing: true) }"
        },
    )
    assert response.json() == {"data": {"setTyping": True}}


def seqs(events: list[dict[str, Any]]) -> list[int]:
    return [e["messageEvents"]["message"]["seq"] for e in events]


async def test_one_client_sends_and_the_other_receives_the_message_event(
    chat_settings: Settings, uvicorn_server: Any
) -> None:
    async with uvicorn_server(create_app(chat_settings)) as base_url:
        receiver = await TransportWsClient.open(
            base_url, identity(chat_settings, AGENT)
        )
        sender = await TransportWsClient.open(
            base_url, identity(chat_settings, DEMO_USER)
        )
        # Replaying the last seeded message proves the subscription is listening.
        await receiver.subscribe(
            MESSAGE_EVENTS, id=CONVERSATION, after=encode_cursor(SEEDED - 1)
        )
        replayed = await receiver.next()
        await sender.subscribe(
            SEND_MESSAGE,
            input={"conversationId": CONVERSATION, "text": "over the socket"},
        )
        sent = await sender.next()
        live = await receiver.next()
        await receiver.close()
        await sender.close()
    assert seqs([replayed]) == [SEEDED]
    assert sent == {"sendMessage": {"seq": SEEDED + 1}}
    assert live["messageEvents"] == {
        "kind": "ADDED",
        "message": {
            "seq": SEEDED + 1,
            "text": "over the socket",
            "sender": {"id": DEMO_USER},
        },
    }


async def test_a_client_that_missed_twenty_messages_gets_exactly_those_then_live_ones(
    chat_settings: Settings, uvicorn_server: Any
) -> None:
    async with (
        uvicorn_server(create_app(chat_settings)) as base_url,
        httpx.AsyncClient(base_url=base_url) as http,
    ):
        phone = await TransportWsClient.open(
            base_url, identity(chat_settings, DEMO_USER)
        )
        await phone.subscribe(MESSAGE_EVENTS, id=CONVERSATION, after=encode_cursor(0))
        seen = [await phone.next() for _ in range(SEEDED)]
        await phone.close()  # the phone goes through a tunnel
        # 20 messages from two senders: each stays within 10 per minute.
        for n in range(20):
            await send(http, chat_settings, (AGENT, ADMIN)[n % 2], f"missed {n}")
        phone = await TransportWsClient.open(
            base_url, identity(chat_settings, DEMO_USER)
        )
        last_cursor = encode_cursor(seqs(seen)[-1])
        await phone.subscribe(MESSAGE_EVENTS, id=CONVERSATION, after=last_cursor)
        missed = [await phone.next() for _ in range(20)]
        await send(http, chat_settings, DEMO_USER, "back online")
        live = await phone.next()
        await phone.close()
    assert seqs(seen) == [1, 2, 3, 4]
    assert seqs(missed) == list(range(SEEDED + 1, SEEDED + 21))
    assert [e["messageEvents"]["message"]["text"] for e in missed] == [
        f"missed {n}" for n in range(20)
    ]
    assert seqs([live]) == [SEEDED + 21]


async def test_a_typing_indicator_expires_by_itself(
    chat_settings: Settings, uvicorn_server: Any
) -> None:
    app = create_app(chat_settings, typing_ttl=0.5)
    async with (
        uvicorn_server(app) as base_url,
        httpx.AsyncClient(base_url=base_url) as http,
    ):
        watcher = await TransportWsClient.open(
            base_url, identity(chat_settings, DEMO_USER)
        )
        await watcher.subscribe(
            "subscription($id: ID!) { typing(conversationId: $id) { userIds } }",
            id=CONVERSATION,
        )
        nobody = await watcher.next()
        await set_typing(http, chat_settings, AGENT)
        typing = await watcher.next()
        started = asyncio.get_running_loop().time()
        expired = await watcher.next(timeout=3)
        waited = asyncio.get_running_loop().time() - started
        await watcher.close()
    assert [nobody, typing, expired] == [
        {"typing": {"userIds": []}},
        {"typing": {"userIds": [AGENT]}},
        {"typing": {"userIds": []}},
    ]
    assert waited >= 0.3


async def test_presence_goes_offline_when_the_socket_closes(
    chat_settings: Settings, uvicorn_server: Any
) -> None:
    async with uvicorn_server(create_app(chat_settings)) as base_url:
        watcher = await TransportWsClient.open(base_url, identity(chat_settings, AGENT))
        await watcher.subscribe(
            "subscription($ids: [ID!]!) { presence(userIds: $ids) { userId online } }",
            ids=[DEMO_USER],
        )
        before = await watcher.next()
        phone = await TransportWsClient.open(
            base_url, identity(chat_settings, DEMO_USER)
        )
        await phone.subscribe(
            "subscription($id: ID!) { typing(conversationId: $id) { userIds } }",
            id=CONVERSATION,
        )
        await phone.next()
        online = await watcher.next()
        await phone.close()
        offline = await watcher.next()
        await watcher.close()
    assert [before, online, offline] == [
        {"presence": {"userId": DEMO_USER, "online": False}},
        {"presence": {"userId": DEMO_USER, "online": True}},
        {"presence": {"userId": DEMO_USER, "online": False}},
    ]
