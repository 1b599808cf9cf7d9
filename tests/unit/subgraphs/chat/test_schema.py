"""The chat GraphQL API over HTTP, in process: thin resolvers, loaders, error codes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from subgraphs.chat.app import create_app
from subgraphs.chat.complaints import open_complaint
from subgraphs.chat.messages import send_message
from subgraphs.chat.models import Conversation
from subgraphs.chat.ratelimit import MemoryRateLimiter, Window
from subgraphs.chat.seed import DEMO_CONVERSATION_ID
from subgraphs.kit.context import gateway_identity_headers
from subgraphs.kit.database import count_statements
from subgraphs.kit.principal import Principal

if TYPE_CHECKING:
    import httpx

    from subgraphs.kit.settings import Settings

DEMO_TENANT = "7d3c0a2e-0000-4000-8000-000000000001"
DEMO_USER = Principal(
    "7d3c0a2e-0000-4000-8000-000000000101", DEMO_TENANT, frozenset({"member"})
)
DEMO_AGENT = Principal(
    "7d3c0a2e-0000-4000-8000-000000000103", DEMO_TENANT, frozenset({"support_agent"})
)
STRANGER = Principal("user-stranger", DEMO_TENANT, frozenset({"member"}))


def headers_for(viewer: Principal, settings: Settings) -> dict[str, str]:
    return gateway_identity_headers(
        settings.gateway_secret,
        user_id=viewer.user_id,
        tenant_id=viewer.tenant_id,
        roles=viewer.roles,
    )


async def gql(
    client: httpx.AsyncClient,
    settings: Settings,
    viewer: Principal | None,
    query: str,
    **variables: Any,
) -> dict[str, Any]:
    headers = headers_for(viewer, settings) if viewer else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


SEND = """
mutation($input: SendMessageInput!) {
  sendMessage(input: $input) { id seq cursor text sender { id } }
}
"""

CONVERSATIONS = """
query($first: Int!) {
  conversations(first: $first) {
    edges { node {
      id unreadCount
      lastMessage { text sender { id } reactions { emoji count } replyTo { id } }
      participants { user { id } readUpTo }
      complaint { subject status owner { id } assignedAgent { id } }
      messages(first: 2) { edges { node { text } } pageInfo { hasNextPage } }
    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def test_the_demo_conversation_is_seeded_with_unread_messages(
    chat_settings: Settings, asgi_client: Any
) -> None:
    async with asgi_client(create_app(chat_settings)) as client:
        result = await gql(client, chat_settings, DEMO_USER, CONVERSATIONS, first=10)
    [edge] = result["data"]["conversations"]["edges"]
    node = edge["node"]
    assert node["id"] == str(DEMO_CONVERSATION_ID)
    assert node["unreadCount"] == 1
    assert node["complaint"]["owner"] == {"id": DEMO_USER.user_id}
    assert node["complaint"]["assignedAgent"] == {"id": DEMO_AGENT.user_id}
    assert node["lastMessage"]["sender"] == {"id": DEMO_AGENT.user_id}
    assert node["messages"] == {
        "edges": [
            {"node": {"text": node["lastMessage"]["text"]}},
            {"node": {"text": "House 34, next to the mosque."}},
        ],
        "pageInfo": {"hasNextPage": True},
    }


async def test_send_message_is_idempotent_over_http(
    chat_settings: Settings, asgi_client: Any
) -> None:
    send = {"conversationId": str(DEMO_CONVERSATION_ID), "text": "hi", "clientId": "a1"}
    async with asgi_client(create_app(chat_settings)) as client:
        first = await gql(client, chat_settings, DEMO_USER, SEND, input=send)
        again = await gql(client, chat_settings, DEMO_USER, SEND, input=send)
    assert first["data"]["sendMessage"] == again["data"]["sendMessage"]
    assert first["data"]["sendMessage"]["seq"] == 5


async def test_a_client_id_of_no_or_too_many_characters_is_bad_user_input(
    chat_settings: Settings, asgi_client: Any
) -> None:
    # Both were stored or failed inside: "" made every later send of the sender a
    # retry of the first, 65+ characters broke the column (INTERNAL_SERVER_ERROR).
    conversation = str(DEMO_CONVERSATION_ID)
    async with asgi_client(create_app(chat_settings)) as client:
        answers = [
            await gql(
                client,
                chat_settings,
                DEMO_USER,
                SEND,
                input={"conversationId": conversation, "text": t, "clientId": c},
            )
            for t, c in (("one", ""), ("two", ""), ("three", "c" * 65))
        ]
        kept = await gql(
            client,
            chat_settings,
            DEMO_USER,
            SEND,
            input={
                "conversationId": conversation,
                "text": "four",
                "clientId": "c" * 64,
            },
        )
    for answer in answers:
        assert answer["data"] is None
        [error] = answer["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["field"] == "clientId"
    # Nothing was stored by the refused sends: the next seq is the first free one.
    assert kept["data"]["sendMessage"]["seq"] == 5


async def test_bad_input_comes_back_as_graphql_errors_with_codes(
    chat_settings: Settings, asgi_client: Any
) -> None:
    conversation = str(DEMO_CONVERSATION_ID)
    async with asgi_client(create_app(chat_settings)) as client:
        empty = await gql(
            client,
            chat_settings,
            DEMO_USER,
            SEND,
            input={"conversationId": conversation, "text": " "},
        )
        outsider = await gql(
            client,
            chat_settings,
            STRANGER,
            SEND,
            input={"conversationId": conversation, "text": "hello?"},
        )
        anonymous = await gql(
            client,
            chat_settings,
            None,
            SEND,
            input={"conversationId": conversation, "text": "hello?"},
        )
        emoji = await gql(
            client,
            chat_settings,
            DEMO_USER,
            'mutation { react(messageId: "7d3c0a2e-0000-4000-8000-000000000701", '
            'emoji: "nope") { id } }',
        )
    codes = [
        r["errors"][0]["extensions"]["code"]
        for r in (empty, outsider, anonymous, emoji)
    ]
    assert codes == ["BAD_USER_INPUT", "FORBIDDEN", "UNAUTHENTICATED", "BAD_USER_INPUT"]


async def test_the_eleventh_message_is_rate_limited_with_retry_after(
    chat_settings: Settings, asgi_client: Any
) -> None:
    send = {"conversationId": str(DEMO_CONVERSATION_ID), "text": "spam"}
    async with asgi_client(create_app(chat_settings)) as client:
        results = [
            await gql(client, chat_settings, DEMO_USER, SEND, input=send)
            for _ in range(11)
        ]
    assert all("errors" not in r for r in results[:10])
    error = results[10]["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert 0 < error["extensions"]["retryAfter"] <= 60


async def test_messages_are_a_relay_connection_newest_first(
    chat_settings: Settings, asgi_client: Any
) -> None:
    query = """
    query($id: ID!, $before: String) {
      messages(conversationId: $id, first: 3, before: $before) {
        edges { cursor node { seq text } }
        pageInfo { hasNextPage endCursor }
      }
    }"""
    conversation = str(DEMO_CONVERSATION_ID)
    async with asgi_client(create_app(chat_settings)) as client:
        first = await gql(client, chat_settings, DEMO_USER, query, id=conversation)
        page = first["data"]["messages"]
        second = await gql(
            client,
            chat_settings,
            DEMO_USER,
            query,
            id=conversation,
            before=page["pageInfo"]["endCursor"],
        )
    assert [e["node"]["seq"] for e in page["edges"]] == [4, 3, 2]
    assert page["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["seq"] for e in second["data"]["messages"]["edges"]] == [1]
    assert second["data"]["messages"]["pageInfo"]["hasNextPage"] is False


async def test_user_entities_carry_conversations_and_unread_count(
    chat_settings: Settings, asgi_client: Any
) -> None:
    query = """
    query($reps: [_Any!]!) {
      _entities(representations: $reps) {
        ... on User { id unreadCount conversations(first: 5) { edges { node { id } } } }
      }
    }"""
    reps = [{"__typename": "User", "id": DEMO_USER.user_id}]
    async with asgi_client(create_app(chat_settings)) as client:
        result = await gql(client, chat_settings, DEMO_USER, query, reps=reps)
    [user] = result["data"]["_entities"]
    assert user["unreadCount"] == 1
    assert [e["node"]["id"] for e in user["conversations"]["edges"]] == [
        str(DEMO_CONVERSATION_ID)
    ]


async def _listing_statements(
    client: httpx.AsyncClient, settings: Settings, conversations: int
) -> tuple[int, int]:
    broker = client._transport.app.state.broker  # type: ignore[attr-defined]
    limiter = MemoryRateLimiter((Window(10_000, 60),))
    citizen = Principal("user-many", DEMO_TENANT, frozenset({"member"}))
    have = await Conversation.filter(participants__user_id=citizen.user_id).count()
    for n in range(have, conversations):
        complaint = await open_complaint(citizen, subject=f"c{n}", category="roads")
        conversation = await Conversation.get(complaint_id=complaint.id)
        for sender in (citizen, DEMO_AGENT):
            await send_message(
                sender, str(conversation.id), f"m{n}", broker=broker, limiter=limiter
            )
    with count_statements() as counter:
        result = await gql(
            client, settings, citizen, CONVERSATIONS, first=conversations
        )
    edges = result["data"]["conversations"]["edges"]
    assert len(edges) == conversations
    for edge in edges:
        page = edge["node"]["messages"]
        subject = edge["node"]["complaint"]["subject"]
        assert [e["node"]["text"] for e in page["edges"]] == [f"m{subject[1:]}"] * 2
        assert page["pageInfo"] == {"hasNextPage": False}
    return counter.total, counter.selects


async def test_listing_conversations_takes_a_constant_number_of_statements(
    chat_settings: Settings, asgi_client: Any
) -> None:
    async with asgi_client(create_app(chat_settings)) as client:
        few = await _listing_statements(client, chat_settings, 5)
        many = await _listing_statements(client, chat_settings, 50)
    assert few == many
    assert many[0] <= 7


async def test_embedded_beside_other_subgraphs_the_chat_runtime_runs_with_the_lifespan(
    chat_settings: Settings, asgi_client: Any
) -> None:
    from subgraphs.chat.app import SPEC
    from subgraphs.chat.runtime import ChatRuntime
    from subgraphs.kit.embedded import create_embedded

    apps, lifespan = create_embedded([SPEC], chat_settings)
    app = apps["chat"]
    services = app.state.services  # type: ignore[attr-defined]
    send = {"conversationId": str(DEMO_CONVERSATION_ID), "text": "embedded"}
    async with asgi_client(app, lifespan=lifespan) as client:
        result = await gql(client, chat_settings, DEMO_USER, SEND, input=send)
        during = services.find(ChatRuntime)
    assert result["data"]["sendMessage"]["text"] == "embedded"
    assert during is not None
    # Shut down: the runtime is gone with the lifespan.
    assert services.find(ChatRuntime) is None


async def test_reactions_pins_edits_and_replies_show_on_the_message(
    chat_settings: Settings, asgi_client: Any
) -> None:
    first = "7d3c0a2e-0000-4000-8000-000000000701"
    changes = f"""
    mutation {{
      a: react(messageId: "{first}", emoji: "👍") {{ id }}
      b: pinMessage(messageId: "{first}") {{ pinned }}
      c: editMessage(id: "{first}", text: "Garbage: Road 12, a week.") {{ edited }}
    }}"""
    reply = {
        "conversationId": str(DEMO_CONVERSATION_ID),
        "text": "+1",
        "replyToId": first,
    }
    read = """
    query($id: ID!) {
      messages(conversationId: $id, first: 1) { edges { node {
        text replyTo { text pinned edited reactions { emoji count reactedByMe } }
      } } }
    }"""
    async with asgi_client(create_app(chat_settings)) as client:
        changed = await gql(client, chat_settings, DEMO_USER, changes)
        await gql(client, chat_settings, DEMO_AGENT, SEND, input=reply)
        agent_view = await gql(
            client, chat_settings, DEMO_AGENT, read, id=str(DEMO_CONVERSATION_ID)
        )
    assert "errors" not in changed, changed
    [edge] = agent_view["data"]["messages"]["edges"]
    assert edge["node"] == {
        "text": "+1",
        "replyTo": {
            "text": "Garbage: Road 12, a week.",
            "pinned": True,
            "edited": True,
            "reactions": [{"emoji": "👍", "count": 1, "reactedByMe": False}],
        },
    }
