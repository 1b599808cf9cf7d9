"""Who may watch whose presence: decided in SQL from the accepted conversations and
the complaints one shares (issue 12: presence only with consent)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from subgraphs.chat.access import require_visible_users, visible_users
from subgraphs.chat.complaints import assign_complaint
from subgraphs.chat.conversations import (
    accept_conversation,
    start_direct_conversation,
)
from subgraphs.chat.errors import NotAContact
from subgraphs.chat.subscriptions import presence_updates
from subgraphs.kit.database import count_statements
from subgraphs.kit.principal import Principal

from .test_subscriptions import next_of

if TYPE_CHECKING:
    from subgraphs.chat.models import Complaint
    from subgraphs.chat.presence import Presence
    from subgraphs.kit.pubsub import Broker
    from subgraphs.kit.settings import Settings


async def test_a_member_may_watch_only_the_people_they_share_a_conversation_with(
    citizen: Principal, neighbour: Principal, agent: Principal, complaint: Complaint
) -> None:
    friend = Principal(user_id="user-friend", tenant_id="another-tenant")
    conversation = await start_direct_conversation(neighbour, [friend.user_id])
    wanted = [citizen.user_id, neighbour.user_id, agent.user_id, friend.user_id]
    # The agent is not in the citizen's chat until the complaint is assigned.
    assert await visible_users(citizen, wanted) == {citizen.user_id}
    # Invited from outside the tenant: no presence either way until accepted.
    assert await visible_users(neighbour, wanted) == {neighbour.user_id}
    assert await visible_users(friend, wanted) == {friend.user_id}
    await accept_conversation(friend, str(conversation.id))
    assert await visible_users(neighbour, wanted) == {
        neighbour.user_id,
        friend.user_id,
    }
    assert await visible_users(friend, wanted) == {
        neighbour.user_id,
        friend.user_id,
    }


async def test_a_direct_conversation_within_the_tenant_needs_no_acceptance(
    chat_db: Settings, citizen: Principal, neighbour: Principal
) -> None:
    assert citizen.tenant_id == neighbour.tenant_id
    await start_direct_conversation(
        citizen,
        [neighbour.user_id, "user-outsider"],
        tenants={neighbour.user_id: neighbour.tenant_id, "user-outsider": None},
    )
    wanted = [neighbour.user_id, "user-outsider"]
    assert await visible_users(citizen, wanted) == {neighbour.user_id}
    assert await visible_users(neighbour, [citizen.user_id]) == {citizen.user_id}


async def test_a_member_sees_the_agent_once_assigned_in_one_statement(
    citizen: Principal, agent: Principal, complaint: Complaint, broker: Broker
) -> None:
    await assign_complaint(agent, str(complaint.id), broker=broker)
    with count_statements() as counter:
        seen = await visible_users(citizen, [agent.user_id, "user-stranger"])
    assert seen == {agent.user_id}
    assert counter.total == 1


async def test_an_agent_sees_the_owners_of_complaints_of_their_tenant_only(
    citizen: Principal, agent: Principal, foreign_agent: Principal, complaint: Complaint
) -> None:
    assert await visible_users(agent, [citizen.user_id]) == {citizen.user_id}
    assert await visible_users(foreign_agent, [citizen.user_id]) == set()
    with pytest.raises(NotAContact) as refused:
        await require_visible_users(foreign_agent, [citizen.user_id, "user-nobody"])
    assert refused.value.extensions == {
        "code": "FORBIDDEN",
        "userIds": [citizen.user_id, "user-nobody"],
    }


async def test_a_platform_admin_watches_only_whom_they_share_something_with(
    admin: Principal, citizen: Principal, complaint: Complaint
) -> None:
    assert await visible_users(admin, [citizen.user_id, "user-nobody"]) == set()
    conversation = await start_direct_conversation(admin, [citizen.user_id])
    assert await visible_users(admin, [citizen.user_id]) == set()
    await accept_conversation(citizen, str(conversation.id))
    assert await visible_users(admin, [citizen.user_id]) == {citizen.user_id}


async def test_presence_of_users_one_may_not_watch_is_refused_with_forbidden(
    neighbour: Principal,
    citizen: Principal,
    complaint: Complaint,
    broker: Broker,
    presence: Presence,
) -> None:
    stream = presence_updates(
        neighbour,
        [neighbour.user_id, citizen.user_id],
        broker=broker,
        presence=presence,
    )
    with pytest.raises(NotAContact) as refused:
        await next_of(stream)
    assert refused.value.user_ids == [citizen.user_id]
    assert refused.value.extensions["code"] == "FORBIDDEN"


async def test_a_foreign_agent_and_an_admin_are_refused_the_agent_is_not(
    foreign_agent: Principal,
    admin: Principal,
    agent: Principal,
    citizen: Principal,
    complaint: Complaint,
    broker: Broker,
    presence: Presence,
) -> None:
    for stranger in (foreign_agent, admin):
        refused = presence_updates(
            stranger, [citizen.user_id], broker=broker, presence=presence
        )
        with pytest.raises(NotAContact):
            await next_of(refused)
    allowed = presence_updates(
        agent, [citizen.user_id], broker=broker, presence=presence
    )
    first = await next_of(allowed)
    await allowed.aclose()
    assert (first.user_id, first.online) == (citizen.user_id, False)
