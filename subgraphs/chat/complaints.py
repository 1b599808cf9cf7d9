"""Complaints: opened by citizens and members, worked by support agents."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tortoise.transactions import in_transaction

from subgraphs.chat.access import visible_complaints
from subgraphs.chat.conversations import ensure_participant
from subgraphs.chat.errors import ComplaintNotFound, InvalidComplaint, StaffOnly
from subgraphs.chat.events import ACCESS, AccessRevoked, AccessRevokedReason
from subgraphs.chat.models import (
    Complaint,
    ComplaintStatus,
    Conversation,
    ConversationKind,
    Participant,
)

if TYPE_CHECKING:
    from subgraphs.kit.principal import Principal
    from subgraphs.kit.pubsub import Broker

__all__ = [
    "ComplaintFilter",
    "assign_complaint",
    "get_complaint",
    "list_complaints",
    "open_complaint",
    "set_complaint_status",
]

MAX_COMPLAINTS = 200


@dataclass(frozen=True, slots=True)
class ComplaintFilter:
    status: ComplaintStatus | None = None
    category: str | None = None
    city_corporation: str | None = None
    ward: str | None = None
    thana: str | None = None
    assigned_agent_id: str | None = None
    unassigned: bool = False


async def open_complaint(
    viewer: Principal,
    *,
    subject: str,
    category: str,
    city_corporation: str = "",
    ward: str = "",
    thana: str = "",
) -> Complaint:
    """A new open complaint of the caller's tenant, with its conversation."""
    subject = subject.strip()
    if not subject or len(subject) > 200:
        raise InvalidComplaint("subject must have 1 to 200 characters")
    if not category.strip():
        raise InvalidComplaint("category is required")
    async with in_transaction("chat"):
        complaint = await Complaint.create(
            tenant_id=viewer.tenant_id or "",
            owner_id=viewer.user_id,
            subject=subject,
            category=category.strip(),
            city_corporation=city_corporation,
            ward=ward,
            thana=thana,
        )
        conversation = await Conversation.create(
            tenant_id=complaint.tenant_id,
            kind=ConversationKind.COMPLAINT,
            complaint=complaint,
            last_message_at=datetime.now(UTC),
        )
        await ensure_participant(conversation.id, viewer.user_id)
    return complaint


async def get_complaint(viewer: Principal, complaint_id: str) -> Complaint:
    """The complaint when `viewer` may see it; else ComplaintNotFound."""
    try:
        key = uuid.UUID(complaint_id)
    except ValueError as exc:
        raise ComplaintNotFound(complaint_id) from exc
    complaint = await Complaint.filter(visible_complaints(viewer), id=key).first()
    if complaint is None:
        raise ComplaintNotFound(complaint_id)
    return complaint


async def list_complaints(
    viewer: Principal, filter: ComplaintFilter | None = None, *, first: int = 50
) -> list[Complaint]:
    """Complaints `viewer` may see matching `filter`, newest first."""
    query = Complaint.filter(visible_complaints(viewer))
    f = filter or ComplaintFilter()
    if f.status is not None:
        query = query.filter(status=f.status)
    if f.category is not None:
        query = query.filter(category=f.category)
    if f.city_corporation is not None:
        query = query.filter(city_corporation=f.city_corporation)
    if f.ward is not None:
        query = query.filter(ward=f.ward)
    if f.thana is not None:
        query = query.filter(thana=f.thana)
    if f.assigned_agent_id is not None:
        query = query.filter(assigned_agent_id=f.assigned_agent_id)
    if f.unassigned:
        query = query.filter(assigned_agent_id__isnull=True)
    first = max(0, min(first, MAX_COMPLAINTS))
    return await query.order_by("-created_at", "-id").limit(first)


def _require_staff(viewer: Principal, action: str) -> None:
    if not (viewer.is_support_agent or viewer.is_platform_admin):
        raise StaffOnly(action)


async def assign_complaint(
    viewer: Principal,
    complaint_id: str,
    agent_id: str | None = None,
    *,
    broker: Broker,
) -> Complaint:
    """Assign a complaint (to the caller by default) and add the agent to its chat.

    Agents may assign complaints they can see to themselves; admins to anyone. The
    agent it was assigned to before leaves its conversation (unless they own the
    complaint). Once committed, an AccessRevoked event makes the open subscriptions
    of that conversation check their access again: the previous agent's end, and so
    do those of the tenant's agents who saw it while it was unassigned.
    """
    _require_staff(viewer, "assign complaints")
    agent_id = agent_id or viewer.user_id
    if agent_id != viewer.user_id and not viewer.is_platform_admin:
        raise StaffOnly("assign complaints to someone else")
    complaint = await get_complaint(viewer, complaint_id)
    previous = complaint.assigned_agent_id
    async with in_transaction("chat"):
        complaint.assigned_agent_id = agent_id
        if complaint.status is ComplaintStatus.OPEN:
            complaint.status = ComplaintStatus.IN_PROGRESS
        await complaint.save(
            update_fields=["assigned_agent_id", "status", "updated_at"]
        )
        conversation = await Conversation.get(complaint_id=complaint.id)
        if previous not in (None, agent_id, complaint.owner_id):
            await Participant.filter(
                conversation_id=conversation.id, user_id=previous
            ).delete()
        await ensure_participant(conversation.id, agent_id)
    if previous != agent_id:
        await ACCESS.publish(
            broker,
            AccessRevoked(
                conversation_id=str(conversation.id),
                # Empty when it was unassigned: no one agent lost it, all check.
                user_id=previous or "",
                reason=str(AccessRevokedReason.COMPLAINT_REASSIGNED),
            ),
        )
    return complaint


async def set_complaint_status(
    viewer: Principal, complaint_id: str, status: ComplaintStatus
) -> Complaint:
    """Move a complaint to `status`; staff any way, its owner only to closed."""
    complaint = await get_complaint(viewer, complaint_id)
    if status is not ComplaintStatus.CLOSED:
        _require_staff(viewer, "change a complaint's status")
    complaint.status = status
    await complaint.save(update_fields=["status", "updated_at"])
    return complaint
