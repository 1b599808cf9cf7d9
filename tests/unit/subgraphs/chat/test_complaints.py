"""Complaints: opened by members, filtered and worked by support agents."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from subgraphs.chat.complaints import (
    ComplaintFilter,
    assign_complaint,
    get_complaint,
    list_complaints,
    open_complaint,
    set_complaint_status,
)
from subgraphs.chat.errors import ComplaintNotFound, InvalidComplaint, StaffOnly
from subgraphs.chat.models import ComplaintStatus, Conversation, Participant

if TYPE_CHECKING:
    from subgraphs.chat.models import Complaint
    from subgraphs.kit.principal import Principal
    from subgraphs.kit.pubsub import Broker


async def test_opening_a_complaint_opens_its_conversation_with_the_owner(
    citizen: Principal, complaint: Complaint
) -> None:
    conversation = await Conversation.get(complaint_id=complaint.id)
    participants = await Participant.filter(conversation_id=conversation.id)
    assert [p.user_id for p in participants] == [citizen.user_id]
    assert complaint.status is ComplaintStatus.OPEN
    assert complaint.tenant_id == citizen.tenant_id


async def test_a_complaint_without_subject_is_refused(
    citizen: Principal, chat_db: object
) -> None:
    with pytest.raises(InvalidComplaint):
        await open_complaint(citizen, subject="  ", category="waste")
    assert await Conversation.all().count() == 0


async def test_agents_filter_complaints_by_status_category_area_and_agent(
    citizen: Principal, agent: Principal, broker: Broker
) -> None:
    road = await open_complaint(
        citizen,
        subject="Pothole",
        category="roads",
        city_corporation="Dhaka South",
        ward="5",
    )
    await open_complaint(
        citizen,
        subject="Bins",
        category="waste",
        city_corporation="Dhaka North",
        ward="12",
    )
    await assign_complaint(agent, str(road.id), broker=broker)

    async def subjects(f: ComplaintFilter) -> list[str]:
        return [c.subject for c in await list_complaints(agent, f)]

    assert await subjects(ComplaintFilter(category="roads")) == ["Pothole"]
    assert await subjects(ComplaintFilter(status=ComplaintStatus.OPEN)) == ["Bins"]
    assert await subjects(ComplaintFilter(city_corporation="Dhaka North")) == ["Bins"]
    assert await subjects(ComplaintFilter(assigned_agent_id=agent.user_id)) == [
        "Pothole"
    ]
    assert await subjects(ComplaintFilter(unassigned=True)) == ["Bins"]


async def test_assigning_adds_the_agent_to_the_conversation(
    agent: Principal, complaint: Complaint, broker: Broker
) -> None:
    assigned = await assign_complaint(agent, str(complaint.id), broker=broker)
    assert assigned.assigned_agent_id == agent.user_id
    assert assigned.status is ComplaintStatus.IN_PROGRESS
    conversation = await Conversation.get(complaint_id=complaint.id)
    assert await Participant.filter(
        conversation_id=conversation.id, user_id=agent.user_id
    ).exists()


async def test_members_cannot_assign_or_resolve_but_may_close_their_own(
    citizen: Principal, neighbour: Principal, complaint: Complaint, broker: Broker
) -> None:
    with pytest.raises(StaffOnly):
        await assign_complaint(citizen, str(complaint.id), broker=broker)
    with pytest.raises(StaffOnly):
        await set_complaint_status(citizen, str(complaint.id), ComplaintStatus.RESOLVED)
    with pytest.raises(ComplaintNotFound):
        await set_complaint_status(neighbour, str(complaint.id), ComplaintStatus.CLOSED)
    closed = await set_complaint_status(
        citizen, str(complaint.id), ComplaintStatus.CLOSED
    )
    assert closed.status is ComplaintStatus.CLOSED


async def test_agents_of_another_tenant_do_not_see_the_complaint(
    foreign_agent: Principal, admin: Principal, complaint: Complaint
) -> None:
    with pytest.raises(ComplaintNotFound):
        await get_complaint(foreign_agent, str(complaint.id))
    assert await list_complaints(foreign_agent) == []
    assert [c.id for c in await list_complaints(admin)] == [complaint.id]
