"""Who may watch whose presence: decided in SQL from the conversations one may see."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from subgraphs.chat.access import require_visible_users, visible_users
from subgraphs.chat.complaints import assign_complaint
from subgraphs.chat.conversations import start_direct_conversation
from subgraphs.chat.errors import NotAContact
from subgraphs.chat.subscriptions import presence_updates
from subgraphs.kit.database import count_statements

from .test_subscriptions import next_of

if TYPE_CHECKING:
    from subgraphs.chat.models import Complaint
    from subgraphs.chat.presence import Presence
    from subgraphs.kit.principal import Principal
    from subgraphs.kit.pubsub import Broker


async def test_a_member_may_watch_only_the_people_they_share_a_conversation_with(
    citizen: Principal, neighbour: Principal, agent: Principal, complaint: Complaint
) -> None:
    await start_direct_conversation(neighbour, ["user-friend"])
    wanted = [citizen.user_id, neighbour.user_id, agent.user_id, "user-friend"]
    # The agent is not in the citizen's chat until the complaint is assigned.
    assert await visible_users(citizen, wanted) == {citizen.user_id}
    assert await visible_users(neighbour, wanted) == {
        neighbour.user_id,
        "user-friend",
    }


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


async def test_a_platform_admin_may_watch_anyone(
    admin: Principal, citizen: Principal, complaint: Complaint
) -> None:
    assert await visible_users(admin, [citizen.user_id, "user-nobody"]) == {
        citizen.user_id,
        "user-nobody",
    }


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


async def test_a_foreign_agent_is_refused_and_an_admin_is_not(
    foreign_agent: Principal,
    admin: Principal,
    citizen: Principal,
    complaint: Complaint,
    broker: Broker,
    presence: Presence,
) -> None:
    refused = presence_updates(
        foreign_agent, [citizen.user_id], broker=broker, presence=presence
    )
    with pytest.raises(NotAContact):
        await next_of(refused)
    allowed = presence_updates(
        admin, [citizen.user_id], broker=broker, presence=presence
    )
    first = await next_of(allowed)
    await allowed.aclose()
    assert (first.user_id, first.online) == (citizen.user_id, False)
