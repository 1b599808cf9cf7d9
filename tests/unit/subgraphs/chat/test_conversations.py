"""Who sees which conversation, unread counts and read receipts."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from subgraphs.chat.complaints import assign_complaint, open_complaint
from subgraphs.chat.conversations import (
    ConversationFilter,
    get_conversation,
    list_conversations,
    mark_delivered,
    mark_read,
    start_direct_conversation,
    total_unread_counts,
    unread_counts,
)
from subgraphs.chat.errors import InvalidConversation, InvalidCursor
from subgraphs.chat.events import RECEIPTS
from subgraphs.chat.messages import delete_message, send_message
from subgraphs.chat.models import Conversation, ConversationKind, Participant
from subgraphs.chat.ratelimit import MemoryRateLimiter, Window
from subgraphs.kit.principal import Principal

if TYPE_CHECKING:
    from subgraphs.chat.ratelimit import RateLimiter
    from subgraphs.kit.pubsub import Broker
    from subgraphs.kit.settings import Settings

UNLIMITED = (Window(10_000, 60),)


async def test_members_see_only_the_conversations_they_take_part_in(
    citizen: Principal, neighbour: Principal, conversation_id: str
) -> None:
    assert await get_conversation(citizen, conversation_id) is not None
    assert await get_conversation(neighbour, conversation_id) is None
    page = await list_conversations(neighbour)
    assert page.conversations == ()


async def test_agents_see_unassigned_and_their_own_complaints_in_their_tenant(
    citizen: Principal,
    agent: Principal,
    foreign_agent: Principal,
    admin: Principal,
    conversation_id: str,
    broker: Broker,
) -> None:
    other = Principal("user-agent-2", agent.tenant_id, agent.roles)
    assert await get_conversation(agent, conversation_id) is not None
    assert await get_conversation(other, conversation_id) is not None
    assert await get_conversation(foreign_agent, conversation_id) is None
    complaint = (await get_conversation(citizen, conversation_id)).complaint_id  # type: ignore[union-attr]
    await assign_complaint(agent, str(complaint), broker=broker)
    assert await get_conversation(agent, conversation_id) is not None
    assert await get_conversation(other, conversation_id) is None
    assert await get_conversation(admin, conversation_id) is not None


async def test_conversations_are_listed_most_recent_first_with_cursors(
    citizen: Principal, broker: Broker
) -> None:
    limiter = MemoryRateLimiter(UNLIMITED)
    ids = []
    for n in range(5):
        complaint = await open_complaint(citizen, subject=f"c{n}", category="roads")
        page = await list_conversations(citizen, first=1)
        ids.append(str(page.conversations[0].id))
        assert page.conversations[0].complaint_id == complaint.id  # type: ignore[attr-defined]
    await send_message(citizen, ids[0], "bump", broker=broker, limiter=limiter)
    first = await list_conversations(citizen, first=3)
    rest = await list_conversations(citizen, first=3, after=first.cursors[-1])
    listed = [str(c.id) for c in (*first.conversations, *rest.conversations)]
    assert listed == [ids[0], ids[4], ids[3], ids[2], ids[1]]
    assert first.has_next_page
    assert not rest.has_next_page


async def test_conversations_filter_by_kind(
    citizen: Principal, conversation_id: str
) -> None:
    direct = await start_direct_conversation(citizen, ["user-neighbour"])
    page = await list_conversations(
        citizen, filter=ConversationFilter(kind=ConversationKind.DIRECT)
    )
    assert [str(c.id) for c in page.conversations] == [str(direct.id)]


async def test_a_forged_conversation_cursor_is_bad_input(
    citizen: Principal, chat_db: Settings
) -> None:
    with pytest.raises(InvalidCursor):
        await list_conversations(citizen, after="Zm9yZ2Vk")


async def test_unread_counts_exclude_own_deleted_and_read_messages(
    citizen: Principal,
    agent: Principal,
    conversation_id: str,
    broker: Broker,
    limiter: RateLimiter,
) -> None:
    sent = [
        await send_message(
            agent, conversation_id, f"a{n}", broker=broker, limiter=limiter
        )
        for n in range(4)
    ]
    await send_message(citizen, conversation_id, "mine", broker=broker, limiter=limiter)
    assert await unread_counts(citizen.user_id, [conversation_id]) == {
        conversation_id: 0  # sending reads everything before one's own message
    }
    for n in range(3):
        await send_message(
            agent, conversation_id, f"b{n}", broker=broker, limiter=limiter
        )
    last = await send_message(
        agent, conversation_id, "b3", broker=broker, limiter=limiter
    )
    await delete_message(agent, str(last.id), broker=broker)
    assert await unread_counts(citizen.user_id, [conversation_id]) == {
        conversation_id: 3
    }
    assert await total_unread_counts([citizen.user_id]) == {citizen.user_id: 3}
    assert sent[0].seq == 1


async def test_mark_read_moves_the_cursor_forward_only_and_publishes_it(
    citizen: Principal,
    agent: Principal,
    conversation_id: str,
    broker: Broker,
    limiter: RateLimiter,
) -> None:
    messages = [
        await send_message(
            agent, conversation_id, f"m{n}", broker=broker, limiter=limiter
        )
        for n in range(3)
    ]
    async with broker.subscribe(RECEIPTS.name(conversation_id)) as events:
        await mark_read(citizen, conversation_id, str(messages[2].id), broker=broker)
        receipt = await mark_read(
            citizen, conversation_id, str(messages[0].id), broker=broker
        )
        payload = await asyncio.wait_for(anext(events), 2)
    assert receipt.read_seq == 3
    assert RECEIPTS.decode(payload).read_seq == 3
    assert await unread_counts(citizen.user_id, [conversation_id]) == {
        conversation_id: 0
    }


async def test_delivered_moves_alone_and_read_implies_delivered(
    citizen: Principal,
    agent: Principal,
    conversation_id: str,
    broker: Broker,
    limiter: RateLimiter,
) -> None:
    first, second = [
        await send_message(agent, conversation_id, t, broker=broker, limiter=limiter)
        for t in ("one", "two")
    ]
    delivered = await mark_delivered(
        citizen, conversation_id, str(second.id), broker=broker
    )
    assert (delivered.read_seq, delivered.delivered_seq) == (0, 2)
    read = await mark_read(citizen, conversation_id, str(first.id), broker=broker)
    assert (read.read_seq, read.delivered_seq) == (1, 2)


async def test_a_direct_conversation_needs_someone_else(
    citizen: Principal, chat_db: Settings
) -> None:
    with pytest.raises(InvalidConversation):
        await start_direct_conversation(citizen, [citizen.user_id])


@pytest.mark.parametrize("user_id", ["", "two words", "x" * 65])
async def test_a_direct_conversation_refuses_ids_that_name_no_user_and_stores_nothing(
    citizen: Principal, chat_db: Settings, user_id: str
) -> None:
    with pytest.raises(InvalidConversation) as refused:
        await start_direct_conversation(citizen, ["user-neighbour", user_id])
    assert refused.value.extensions == {"code": "BAD_USER_INPUT", "field": "userIds"}
    assert await Conversation.all().count() == 0


async def test_a_direct_conversation_accepts_ids_accounts_may_not_know(
    citizen: Principal, chat_db: Settings
) -> None:
    # Chat cannot read accounts: the gateway resolves an unknown User to null.
    direct = await start_direct_conversation(citizen, ["user-nobody-knows"])
    members = await Participant.filter(conversation_id=direct.id).order_by("user_id")
    assert [p.user_id for p in members] == [citizen.user_id, "user-nobody-knows"]
