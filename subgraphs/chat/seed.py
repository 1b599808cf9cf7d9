"""Demo chat data: the demo user's complaint, assigned to the demo agent, with a chat.

Ids are fixed, so seeding at every start changes nothing once the rows exist.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from tortoise.transactions import in_transaction

from subgraphs.chat.models import (
    Complaint,
    ComplaintStatus,
    Conversation,
    ConversationKind,
    Message,
    Participant,
)

if TYPE_CHECKING:
    from subgraphs.kit.settings import Settings

__all__ = ["DEMO_COMPLAINT_ID", "DEMO_CONVERSATION_ID", "seed"]

_DEMO = "7d3c0a2e-0000-4000-8000-00000000"
DEMO_CHAMBER = f"{_DEMO}0001"
DEMO_USER = f"{_DEMO}0101"
DEMO_AGENT = f"{_DEMO}0103"
DEMO_COMPLAINT_ID = uuid.UUID(f"{_DEMO}0501")
DEMO_CONVERSATION_ID = uuid.UUID(f"{_DEMO}0601")

_MESSAGES = (
    (DEMO_USER, "Garbage has not been collected on Road 12 for a week."),
    (DEMO_AGENT, "Thank you for reporting. Which house number is closest?"),
    (DEMO_USER, "House 34, next to the mosque."),
    (DEMO_AGENT, "A truck is scheduled for tomorrow morning. We will confirm here."),
)


async def seed(settings: Settings) -> None:
    """Create the demo complaint and its conversation unless they exist."""
    if await Complaint.filter(id=DEMO_COMPLAINT_ID).exists():
        return
    start = datetime.now(UTC) - timedelta(hours=2)
    async with in_transaction("chat"):
        complaint = await Complaint.create(
            id=DEMO_COMPLAINT_ID,
            tenant_id=DEMO_CHAMBER,
            owner_id=DEMO_USER,
            subject="Garbage not collected on Road 12",
            category="waste",
            status=ComplaintStatus.IN_PROGRESS,
            city_corporation="Dhaka North",
            ward="12",
            thana="Gulshan",
            assigned_agent_id=DEMO_AGENT,
        )
        conversation = await Conversation.create(
            id=DEMO_CONVERSATION_ID,
            tenant_id=DEMO_CHAMBER,
            kind=ConversationKind.COMPLAINT,
            complaint=complaint,
            last_message_at=start,
        )
        last = None
        for seq, (sender, text) in enumerate(_MESSAGES, start=1):
            last = await Message.create(
                id=uuid.UUID(f"{_DEMO}{700 + seq:04d}"),
                conversation=conversation,
                seq=seq,
                sender_id=sender,
                text=text,
            )
        assert last is not None  # _MESSAGES is not empty
        await Conversation.filter(id=conversation.id).update(
            last_seq=len(_MESSAGES),
            last_message_id=last.id,
            last_message_at=last.created_at,
        )
        await Participant.create(
            conversation=conversation, user_id=DEMO_USER, read_seq=3, delivered_seq=4
        )
        await Participant.create(
            conversation=conversation,
            user_id=DEMO_AGENT,
            read_seq=len(_MESSAGES),
            delivered_seq=len(_MESSAGES),
        )
