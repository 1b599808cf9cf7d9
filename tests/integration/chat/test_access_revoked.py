"""Open subscriptions end with FORBIDDEN once their user loses access, over websockets.

Each test runs on SQLite + in-memory pub/sub and on PostgreSQL + Redis.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import httpx

from subgraphs.chat.app import create_app
from subgraphs.chat.cursors import encode_cursor
from subgraphs.chat.seed import DEMO_COMPLAINT_ID

from .test_realtime import (
    ADMIN,
    AGENT,
    CONVERSATION,
    DEMO_USER,
    MESSAGE_EVENTS,
    SEEDED,
    TransportWsClient,
    identity,
)

if TYPE_CHECKING:
    from subgraphs.kit.settings import Settings

OTHER_AGENT = "7d3c0a2e-0000-4000-8000-000000000104"

PRESENCE = "subscription($ids: [ID!]!) { presence(userIds: $ids) { userId online } }"


async def post(
    http: httpx.AsyncClient, settings: Settings, user: str, query: str
) -> dict[str, Any]:
    response = await http.post(
        "/graphql", headers=identity(settings, user), json={"query": query}
    )
    body: dict[str, Any] = response.json()
    return body


async def ending(client: TransportWsClient, timeout: float = 5.0) -> list[Any]:
    """The messages the server sends until the operation ends (error or complete)."""
    received = []
    while True:
        message = json.loads(await asyncio.wait_for(client.socket.recv(), timeout))
        received.append(message)
        if message["type"] in ("error", "complete"):
            return received


REASSIGN = (
    f'mutation {{ assignComplaint(complaintId: "{DEMO_COMPLAINT_ID}", '
    f'agentId: "{OTHER_AGENT}") {{ assignedAgent {{ id }} }} }}'
)
FORBIDDEN_END = [
    {"type": "next", "code": "FORBIDDEN", "data": None},
    {"type": "complete", "code": None, "data": None},
]


def summary(messages: list[Any]) -> list[dict[str, Any]]:
    """Each message's type, first error code and data, for comparison."""
    return [
        {
            "type": m["type"],
            "code": (m.get("payload") or {})
            .get("errors", [{}])[0]
            .get("extensions", {})
            .get("code")
            if isinstance(m.get("payload"), dict)
            else None,
            "data": m["payload"].get("data")
            if isinstance(m.get("payload"), dict)
            else None,
        }
        for m in messages
    ]


async def test_an_agents_message_events_end_with_forbidden_once_complaint_reassigned(
    chat_settings: Settings, uvicorn_server: Any
) -> None:
    async with (
        uvicorn_server(create_app(chat_settings)) as base_url,
        httpx.AsyncClient(base_url=base_url) as http,
    ):
        agent = await TransportWsClient.open(base_url, identity(chat_settings, AGENT))
        await agent.subscribe(
            MESSAGE_EVENTS, id=CONVERSATION, after=encode_cursor(SEEDED - 1)
        )
        await agent.next()  # replayed: the subscription runs
        reassigned = await post(http, chat_settings, ADMIN, REASSIGN)
        ended = await ending(agent)
        await agent.close()
    assert reassigned == {
        "data": {"assignComplaint": {"assignedAgent": {"id": OTHER_AGENT}}}
    }
    assert summary(ended) == FORBIDDEN_END


async def test_presence_of_a_complaint_owner_ends_for_the_agent_it_was_taken_from(
    chat_settings: Settings, uvicorn_server: Any
) -> None:
    async with (
        uvicorn_server(create_app(chat_settings)) as base_url,
        httpx.AsyncClient(base_url=base_url) as http,
    ):
        agent = await TransportWsClient.open(base_url, identity(chat_settings, AGENT))
        await agent.subscribe(PRESENCE, ids=[DEMO_USER])
        before = await agent.next()
        kept = await post(
            http,
            chat_settings,
            ADMIN,
            f'mutation {{ removeParticipant(conversationId: "{CONVERSATION}", '
            f'userId: "{AGENT}") }}',
        )
        # Out of the chat but still assigned: the agent still sees the owner.
        phone = await TransportWsClient.open(
            base_url, identity(chat_settings, DEMO_USER)
        )
        await phone.subscribe(PRESENCE, ids=[DEMO_USER])
        await phone.next()
        online = await agent.next()
        reassigned = await post(http, chat_settings, ADMIN, REASSIGN)
        ended = await ending(agent)
        await phone.close()
        await agent.close()
    assert before == {"presence": {"userId": DEMO_USER, "online": False}}
    assert kept == {"data": {"removeParticipant": True}}
    assert online == {"presence": {"userId": DEMO_USER, "online": True}}
    assert "errors" not in reassigned
    assert summary(ended) == FORBIDDEN_END
