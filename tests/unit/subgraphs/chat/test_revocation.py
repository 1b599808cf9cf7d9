"""Live streams end with FORBIDDEN when their viewer loses access while they run."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from subgraphs.chat.complaints import assign_complaint
from subgraphs.chat.conversations import remove_participant, start_direct_conversation
from subgraphs.chat.errors import NotAContact, NotAParticipant, ParticipantNotRemovable
from subgraphs.chat.messages import send_message
from subgraphs.chat.models import Participant
from subgraphs.chat.ratelimit import MemoryRateLimiter
from subgraphs.chat.subscriptions import (
    message_events,
    presence_updates,
    receipt_updates,
    typing_updates,
)
from subgraphs.chat.typing_indicators import set_typing
from subgraphs.kit.principal import Principal

from .test_subscriptions import next_of

if TYPE_CHECKING:
    from subgraphs.chat.models import Complaint
    from subgraphs.chat.presence import Presence
    from subgraphs.kit.pubsub import Broker


async def test_an_agents_stream_ends_when_the_complaint_is_reassigned_to_another(
    agent: Principal,
    admin: Principal,
    citizen: Principal,
    complaint: Complaint,
    conversation_id: str,
    broker: Broker,
) -> None:
    await assign_complaint(agent, str(complaint.id), broker=broker)
    await send_message(
        citizen, conversation_id, "hello", broker=broker, limiter=MemoryRateLimiter()
    )
    stream = message_events(agent, conversation_id, broker=broker, after=0)
    heard = await next_of(stream)  # replayed: the stream runs
    await assign_complaint(admin, str(complaint.id), "user-agent-2", broker=broker)
    with pytest.raises(NotAParticipant):
        await next_of(stream)
    assert heard.snapshot.text == "hello"
    assert not await Participant.filter(user_id=agent.user_id).exists()


async def test_agents_who_saw_an_unassigned_complaint_lose_it_once_assigned(
    agent: Principal, conversation_id: str, complaint: Complaint, broker: Broker
) -> None:
    colleague = Principal("user-agent-2", agent.tenant_id, agent.roles)
    watching = typing_updates(colleague, conversation_id, broker=broker)
    assert await next_of(watching) == []
    await assign_complaint(agent, str(complaint.id), broker=broker)
    with pytest.raises(NotAParticipant):
        await next_of(watching)


async def test_a_removed_member_s_stream_ends_and_the_others_go_on(
    citizen: Principal, neighbour: Principal, broker: Broker
) -> None:
    friend = Principal("user-friend", citizen.tenant_id, citizen.roles)
    direct = str(
        (
            await start_direct_conversation(
                citizen, [neighbour.user_id, friend.user_id]
            )
        ).id
    )
    mine = typing_updates(citizen, direct, broker=broker)
    theirs = typing_updates(neighbour, direct, broker=broker)
    assert (await next_of(mine), await next_of(theirs)) == ([], [])
    assert await remove_participant(neighbour, direct, neighbour.user_id, broker=broker)
    with pytest.raises(NotAParticipant):
        await next_of(theirs)
    # Someone else leaving does not end the citizen's stream.
    await set_typing(friend, direct, True, broker=broker)
    assert await next_of(mine) == [friend.user_id]
    await mine.aclose()


async def test_receipts_of_an_agent_taken_out_by_an_admin_end_only_when_unassigned(
    agent: Principal,
    admin: Principal,
    complaint: Complaint,
    conversation_id: str,
    broker: Broker,
) -> None:
    await assign_complaint(agent, str(complaint.id), broker=broker)
    stream = receipt_updates(agent, conversation_id, broker=broker)
    await next_of(stream)
    await next_of(stream)
    # Out of the chat, still assigned: the agent still sees it, the stream goes on.
    await remove_participant(admin, conversation_id, agent.user_id, broker=broker)
    await assign_complaint(admin, str(complaint.id), "user-agent-2", broker=broker)
    with pytest.raises(NotAParticipant):
        await next_of(stream)


async def test_presence_ends_when_the_only_shared_conversation_is_left(
    citizen: Principal, neighbour: Principal, broker: Broker, presence: Presence
) -> None:
    direct = await start_direct_conversation(
        citizen, [neighbour.user_id], tenants={neighbour.user_id: neighbour.tenant_id}
    )
    stream = presence_updates(
        citizen, [neighbour.user_id], broker=broker, presence=presence
    )
    first = await next_of(stream)
    await remove_participant(
        neighbour, str(direct.id), neighbour.user_id, broker=broker
    )
    with pytest.raises(NotAContact):
        await next_of(stream)
    assert (first.user_id, first.online) == (neighbour.user_id, False)


async def test_who_may_remove_whom(
    citizen: Principal,
    neighbour: Principal,
    agent: Principal,
    admin: Principal,
    complaint: Complaint,
    conversation_id: str,
    broker: Broker,
) -> None:
    direct = str((await start_direct_conversation(citizen, [neighbour.user_id])).id)
    with pytest.raises(ParticipantNotRemovable):
        await remove_participant(citizen, direct, neighbour.user_id, broker=broker)
    with pytest.raises(ParticipantNotRemovable):
        await remove_participant(agent, conversation_id, citizen.user_id, broker=broker)
    with pytest.raises(NotAParticipant):
        await remove_participant(
            neighbour, conversation_id, citizen.user_id, broker=broker
        )
    assert await remove_participant(admin, direct, neighbour.user_id, broker=broker)
    assert not await remove_participant(admin, direct, neighbour.user_id, broker=broker)
