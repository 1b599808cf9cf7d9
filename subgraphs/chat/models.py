"""Tortoise models of the chat subgraph (app label "chat").

Users, tenants and agents live in the accounts subgraph, so they are plain id columns
here. Messages carry a per-conversation sequence number `seq`: it orders the
conversation, is the cursor of pagination and of replay, and makes a read receipt a
single integer per participant (`Participant.read_seq`) instead of a row per message.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    import uuid

__all__ = [
    "AttachmentKind",
    "Complaint",
    "ComplaintStatus",
    "Conversation",
    "ConversationKind",
    "Message",
    "Participant",
    "Reaction",
]


class ComplaintStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"


class ConversationKind(StrEnum):
    COMPLAINT = "complaint"
    DIRECT = "direct"


class AttachmentKind(StrEnum):
    IMAGE = "image"
    VOICE = "voice"
    FILE = "file"


class Complaint(Model):
    id = fields.UUIDField(primary_key=True)
    tenant_id = fields.CharField(max_length=64)
    owner_id = fields.CharField(max_length=64)
    subject = fields.CharField(max_length=200)
    category = fields.CharField(max_length=64)
    status = fields.CharEnumField(ComplaintStatus, default=ComplaintStatus.OPEN)
    city_corporation = fields.CharField(max_length=100, default="")
    ward = fields.CharField(max_length=100, default="")
    thana = fields.CharField(max_length=100, default="")
    assigned_agent_id = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "chat_complaint"
        indexes = (
            Index(fields=("tenant_id", "status", "created_at")),
            Index(fields=("tenant_id", "category")),
            Index(fields=("tenant_id", "city_corporation", "ward", "thana")),
            Index(fields=("assigned_agent_id", "status")),
            Index(fields=("owner_id",)),
        )


class Conversation(Model):
    id = fields.UUIDField(primary_key=True)
    tenant_id = fields.CharField(max_length=64)
    kind = fields.CharEnumField(ConversationKind)
    complaint: fields.OneToOneNullableRelation[Complaint] = fields.OneToOneField(
        "chat.Complaint", related_name="conversation", null=True
    )
    # Denormalised in the transaction that stores a message, so listing conversations
    # with their last message costs no per-row query.
    last_seq = fields.IntField(default=0)
    last_message_id = fields.UUIDField(null=True)
    last_message_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "chat_conversation"
        indexes = (Index(fields=("tenant_id", "last_message_at")),)


class Participant(Model):
    id = fields.IntField(primary_key=True)
    conversation: fields.ForeignKeyRelation[Conversation] = fields.ForeignKeyField(
        "chat.Conversation", related_name="participants"
    )
    user_id = fields.CharField(max_length=64)
    # False while a direct conversation from outside the user's tenant waits for
    # them to accept it; presence is shared only once both sides accepted.
    accepted = fields.BooleanField(default=True, db_default=True)
    # The read and delivered receipts: every message with seq <= the cursor.
    read_seq = fields.IntField(default=0)
    delivered_seq = fields.IntField(default=0)
    joined_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "chat_participant"
        unique_together = (("conversation", "user_id"),)
        indexes = (Index(fields=("user_id", "conversation_id")),)


class Message(Model):
    id = fields.UUIDField(primary_key=True)
    conversation: fields.ForeignKeyRelation[Conversation] = fields.ForeignKeyField(
        "chat.Conversation", related_name="messages"
    )
    conversation_id: uuid.UUID  # the column behind `conversation`
    seq = fields.IntField()
    sender_id = fields.CharField(max_length=64)
    # Chosen by the sending device; a retried send with the same id is stored once.
    client_id = fields.CharField(max_length=64, null=True)
    text = fields.TextField()
    attachment_kind = fields.CharEnumField(AttachmentKind, null=True)
    attachment_url = fields.CharField(max_length=2048, null=True)
    attachment_size = fields.BigIntField(null=True)
    attachment_content_type = fields.CharField(max_length=128, null=True)
    attachment_duration = fields.FloatField(null=True)
    reply_to_id = fields.UUIDField(null=True)
    edited = fields.BooleanField(default=False)
    deleted = fields.BooleanField(default=False)
    pinned = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    edited_at = fields.DatetimeField(null=True)

    class Meta:
        table = "chat_message"
        unique_together = (("conversation", "seq"), ("sender_id", "client_id"))
        indexes = (
            Index(fields=("conversation_id", "created_at")),
            Index(fields=("conversation_id", "pinned")),
        )


class Reaction(Model):
    id = fields.IntField(primary_key=True)
    message: fields.ForeignKeyRelation[Message] = fields.ForeignKeyField(
        "chat.Message", related_name="reactions"
    )
    message_id: uuid.UUID  # the column behind `message`
    user_id = fields.CharField(max_length=64)
    emoji = fields.CharField(max_length=32)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "chat_reaction"
        unique_together = (("message", "user_id", "emoji"),)
