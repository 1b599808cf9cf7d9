"""Chat holds against abuse (issue 12): consent before presence, limits on every
write, unstorable text, callers accounts no longer lists; accounts, chat and
inventory embedded together on SQLite + memory and on PostgreSQL + Redis."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

import httpx

from subgraphs.accounts.app import SPEC as ACCOUNTS
from subgraphs.accounts.auth import publish_directory
from subgraphs.chat.access import visible_users
from subgraphs.chat.app import SPEC as CHAT
from subgraphs.chat.events import MESSAGE_EVENTS, TYPING, TypingChanged
from subgraphs.chat.seed import DEMO_CONVERSATION_ID
from subgraphs.inventory.app import SPEC as INVENTORY
from subgraphs.kit.context import gateway_identity_headers
from subgraphs.kit.embedded import create_embedded
from subgraphs.kit.principal import Principal
from subgraphs.kit.pubsub import Broker

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import pytest

    from subgraphs.kit.settings import Settings

DEMO_CHAMBER = "7d3c0a2e-0000-4000-8000-000000000001"
GREEN_FARMS = "7d3c0a2e-0000-4000-8000-000000000002"
DEMO = Principal(
    "7d3c0a2e-0000-4000-8000-000000000101", DEMO_CHAMBER, frozenset({"member"})
)
ADMIN = Principal(
    "7d3c0a2e-0000-4000-8000-000000000102", None, frozenset({"platform_admin"})
)
AGENT = Principal(
    "7d3c0a2e-0000-4000-8000-000000000103",
    DEMO_CHAMBER,
    frozenset({"support_agent"}),
)
FARMER = Principal(
    "7d3c0a2e-0000-4000-8000-000000000104",
    GREEN_FARMS,
    frozenset({"tenant_admin"}),
)
NOBODY = Principal(
    "7d3c0a2e-0000-4000-8000-0000000009ff", DEMO_CHAMBER, frozenset({"member"})
)
CONVERSATION = str(DEMO_CONVERSATION_ID)

START = """
mutation ($ids: [ID!]!) {
  startDirectConversation(userIds: $ids) { id participants { accepted user { id } } }
}
"""
ACCEPT = "mutation ($id: ID!) { acceptConversation(conversationId: $id) { id } }"
SEND = "mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id } }"


class Graph:
    """The embedded subgraphs, each called as the gateway would (signed identity)."""

    def __init__(
        self,
        settings: Settings,
        clients: dict[str, httpx.AsyncClient],
        broker: Broker,
    ) -> None:
        self.settings = settings
        self.clients = clients
        self.broker = broker

    async def ask(
        self, subgraph: str, caller: Principal, query: str, **variables: Any
    ) -> dict[str, Any]:
        headers = gateway_identity_headers(
            self.settings.gateway_secret,
            user_id=caller.user_id,
            tenant_id=caller.tenant_id,
            roles=caller.roles,
        )
        response = await self.clients[subgraph].post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@contextlib.asynccontextmanager
async def embedded(settings: Settings) -> AsyncIterator[Graph]:
    apps, lifespan = create_embedded([ACCOUNTS, CHAT, INVENTORY], settings)
    async with lifespan(None), contextlib.AsyncExitStack() as stack:
        clients = {
            name: await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://sub"
                )
            )
            for name, app in apps.items()
        }
        broker = apps["chat"].state.broker  # type: ignore[attr-defined]
        assert isinstance(broker, Broker)
        # Accounts' background task does this at start-up; done here to be sure
        # it happened before the first request.
        await publish_directory(broker)
        yield Graph(settings, clients, broker)


def codes(result: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in result.get("errors", [])]


# Finding 7: presence without consent.


async def test_a_conversation_across_tenants_waits_for_consent_before_presence(
    chat_settings: Settings,
) -> None:
    async with embedded(chat_settings) as graph:
        across = await graph.ask("chat", DEMO, START, ids=[FARMER.user_id])
        to_admin = await graph.ask("chat", DEMO, START, ids=[ADMIN.user_id])
        within = await graph.ask("chat", DEMO, START, ids=[AGENT.user_id])
        before = await visible_users(DEMO, [FARMER.user_id, ADMIN.user_id])
        farmer_before = await visible_users(FARMER, [DEMO.user_id])
        conversation = across["data"]["startDirectConversation"]["id"]
        accepted = await graph.ask("chat", FARMER, ACCEPT, id=conversation)
        after = await visible_users(DEMO, [FARMER.user_id, ADMIN.user_id])
        farmer_after = await visible_users(FARMER, [DEMO.user_id])
        agent_seen = await visible_users(DEMO, [AGENT.user_id])

    def acceptance(result: dict[str, Any]) -> dict[str, bool]:
        participants = result["data"]["startDirectConversation"]["participants"]
        return {p["user"]["id"]: p["accepted"] for p in participants}

    assert acceptance(across) == {DEMO.user_id: True, FARMER.user_id: False}
    assert acceptance(to_admin) == {DEMO.user_id: True, ADMIN.user_id: False}
    assert acceptance(within) == {DEMO.user_id: True, AGENT.user_id: True}
    assert (before, farmer_before) == (set(), set())
    assert "errors" not in accepted
    assert (after, farmer_after) == ({FARMER.user_id}, {DEMO.user_id})
    assert agent_seen == {AGENT.user_id}


# Finding 8: other chat writes have no limit.


async def test_edits_past_the_limit_are_refused_and_never_broadcast(
    chat_settings: Settings,
) -> None:
    async with embedded(chat_settings) as graph:
        sent = [
            await graph.ask(
                "chat",
                DEMO,
                SEND,
                input={"conversationId": CONVERSATION, "text": f"message {n}"},
            )
            for n in range(11)
        ]
        assert codes(sent[-1]) == ["RATE_LIMITED"]  # at the send limit now
        message_id = sent[0]["data"]["sendMessage"]["id"]
        edits = " ".join(
            f'e{n}: editMessage(id: "{message_id}", text: "{"x" * 5000}") {{ id }}'
            for n in range(50)
        )
        channel = MESSAGE_EVENTS.name(CONVERSATION)
        async with graph.broker.subscribe(channel) as events:
            result = await graph.ask("chat", DEMO, f"mutation {{ {edits} }}")
            # Then a message from someone else: every event before it is counted.
            await graph.ask(
                "chat",
                AGENT,
                SEND,
                input={"conversationId": CONVERSATION, "text": "sentinel"},
            )
            received = []
            async with asyncio.timeout(5):
                async for payload in events:
                    event = MESSAGE_EVENTS.decode(payload)
                    if event.actor_id == AGENT.user_id:
                        break
                    received.append(event.kind)
    # editMessage is non-null: the first refusal nulls the operation and the
    # mutations after it never run (they run one after the other).
    assert result["data"] is None
    assert [(e["path"], e["extensions"]["code"]) for e in result["errors"]] == [
        (["e10"], "RATE_LIMITED")
    ]
    assert result["errors"][0]["extensions"]["retryAfter"] > 0
    assert received == ["edited"] * 10


async def test_reactions_and_pins_have_their_own_limits(
    chat_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHAT_REACTIONS_PER_MINUTE", "3")
    monkeypatch.setenv("CHAT_PINS_PER_MINUTE", "2")
    emoji = ["👍", "❤️", "😂", "🎉", "🙏"]
    async with embedded(chat_settings) as graph:
        sent = await graph.ask(
            "chat",
            DEMO,
            SEND,
            input={"conversationId": CONVERSATION, "text": "react to me"},
        )
        message_id = sent["data"]["sendMessage"]["id"]
        reactions = [
            await graph.ask(
                "chat",
                DEMO,
                "mutation ($id: ID!, $e: String!) { react(messageId: $id, emoji: $e)"
                " { id } }",
                id=message_id,
                e=e,
            )
            for e in emoji
        ]
        pins = [
            await graph.ask(
                "chat",
                AGENT,
                "mutation ($id: ID!, $p: Boolean!) { pinMessage(messageId: $id,"
                " pinned: $p) { pinned } }",
                id=message_id,
                p=pinned,
            )
            for pinned in (True, False, True, True)
        ]
    assert [codes(r) for r in reactions] == [[]] * 3 + [["RATE_LIMITED"]] * 2
    assert [codes(r) for r in pins] == [[]] * 2 + [["RATE_LIMITED"]] * 2
    assert "3 reactions per 60" in reactions[-1]["errors"][0]["message"]


async def test_typing_is_coalesced_to_one_event_per_user_and_second(
    chat_settings: Settings,
) -> None:
    typing = "mutation ($id: ID!) { setTyping(conversationId: $id, typing: true) }"
    async with embedded(chat_settings) as graph:
        async with graph.broker.subscribe(TYPING.name(CONVERSATION)) as events:
            answers = [
                await graph.ask("chat", DEMO, typing, id=CONVERSATION)
                for _ in range(20)
            ]
            sentinel = TypingChanged(
                conversation_id=CONVERSATION, user_id="sentinel", typing=False, ttl=1
            )
            await TYPING.publish(graph.broker, CONVERSATION, sentinel)
            heard = []
            async with asyncio.timeout(5):
                async for payload in events:
                    event = TYPING.decode(payload)
                    if event.user_id == "sentinel":
                        break
                    heard.append(event.user_id)
    assert answers == [{"data": {"setTyping": True}}] * 20
    assert heard == [DEMO.user_id]


# Finding 9: unstorable text is bad input, on PostgreSQL too.


async def test_a_nul_in_a_message_is_bad_user_input(chat_settings: Settings) -> None:
    async with embedded(chat_settings) as graph:
        result = await graph.ask(
            "chat",
            DEMO,
            SEND,
            input={"conversationId": CONVERSATION, "text": "before\x00after"},
        )
    assert codes(result) == ["BAD_USER_INPUT"]
    assert result["data"] is None


# Finding 10: tokens for deleted users.


async def test_chat_and_inventory_refuse_users_accounts_no_longer_lists(
    chat_settings: Settings,
) -> None:
    conversations = "{ conversations(first: 1) { edges { node { id } } } }"
    farms = "{ farms { id } }"
    deactivate = "mutation ($id: ID!) { deactivateUser(id: $id) }"
    async with embedded(chat_settings) as graph:
        chat_before = await graph.ask("chat", DEMO, conversations)
        farms_before = await graph.ask("inventory", FARMER, farms)
        never_existed = await graph.ask("chat", NOBODY, conversations)
        for user in (DEMO, FARMER):
            done = await graph.ask("accounts", ADMIN, deactivate, id=user.user_id)
            assert done == {"data": {"deactivateUser": True}}
        chat_after = await graph.ask("chat", DEMO, conversations)
        farms_after = await graph.ask("inventory", FARMER, farms)
        agent_still = await graph.ask("chat", AGENT, conversations)
    assert "errors" not in chat_before
    assert "errors" not in farms_before
    assert codes(never_existed) == ["UNAUTHENTICATED"]
    assert codes(chat_after) == ["UNAUTHENTICATED"]
    assert codes(farms_after) == ["UNAUTHENTICATED"]
    assert chat_after["errors"][0]["message"] == "The account is not active."
    assert "errors" not in agent_still
