"""Channels the chat subgraph publishes on, and their payloads.

Payloads are flat dataclasses of JSON values because they cross Redis as JSON. A message
event carries a snapshot of the message, so a subscriber renders it without a query.
Events are published only after the transaction that stored their data has committed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from subgraphs.kit.pubsub import Channel

if TYPE_CHECKING:
    from subgraphs.chat.models import Message

__all__ = [
    "ACCESS",
    "MESSAGE_EVENTS",
    "PRESENCE",
    "RECEIPTS",
    "TYPING",
    "AccessRevoked",
    "AccessRevokedReason",
    "MessageEvent",
    "MessageEventKind",
    "MessageSnapshot",
    "PresenceChanged",
    "ReceiptMoved",
    "TypingChanged",
]


class MessageEventKind(StrEnum):
    ADDED = "added"
    EDITED = "edited"
    DELETED = "deleted"
    REACTED = "reacted"
    UNREACTED = "unreacted"
    PINNED = "pinned"
    UNPINNED = "unpinned"


class AccessRevokedReason(StrEnum):
    PARTICIPANT_REMOVED = "participant_removed"
    COMPLAINT_REASSIGNED = "complaint_reassigned"


@dataclass(frozen=True, slots=True)
class MessageSnapshot:
    """A message as stored when the event was published."""

    id: str
    conversation_id: str
    seq: int
    sender_id: str
    client_id: str | None
    text: str
    attachment_kind: str | None
    attachment_url: str | None
    attachment_size: int | None
    attachment_content_type: str | None
    attachment_duration: float | None
    reply_to_id: str | None
    edited: bool
    deleted: bool
    pinned: bool
    created_at: str
    edited_at: str | None

    @classmethod
    def of(cls, message: Message) -> MessageSnapshot:
        return cls(
            id=str(message.id),
            conversation_id=str(message.conversation_id),
            seq=message.seq,
            sender_id=message.sender_id,
            client_id=message.client_id,
            text=message.text,
            attachment_kind=(
                str(message.attachment_kind) if message.attachment_kind else None
            ),
            attachment_url=message.attachment_url,
            attachment_size=message.attachment_size,
            attachment_content_type=message.attachment_content_type,
            attachment_duration=message.attachment_duration,
            reply_to_id=str(message.reply_to_id) if message.reply_to_id else None,
            edited=message.edited,
            deleted=message.deleted,
            pinned=message.pinned,
            created_at=message.created_at.isoformat(),
            edited_at=message.edited_at.isoformat() if message.edited_at else None,
        )

    def to_json(self) -> dict[str, Any]:
        # Its values are JSON scalars already: no need of asdict's deep copy.
        return {name: getattr(self, name) for name in _SNAPSHOT_FIELDS}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MessageSnapshot:
        return cls(**data)


_SNAPSHOT_FIELDS = tuple(field.name for field in fields(MessageSnapshot))


@dataclass(frozen=True, slots=True)
class MessageEvent:
    """Something happened to a message; `message` is a MessageSnapshot as JSON."""

    kind: str
    conversation_id: str
    seq: int
    actor_id: str
    message: dict[str, Any]
    emoji: str | None = None

    @property
    def snapshot(self) -> MessageSnapshot:
        return MessageSnapshot.from_json(self.message)


@dataclass(frozen=True, slots=True)
class TypingChanged:
    """`user_id` started or stopped typing; a start expires after `ttl` seconds."""

    conversation_id: str
    user_id: str
    typing: bool
    ttl: float


@dataclass(frozen=True, slots=True)
class ReceiptMoved:
    """A participant's read cursor moved forward."""

    conversation_id: str
    user_id: str
    read_seq: int
    delivered_seq: int


@dataclass(frozen=True, slots=True)
class PresenceChanged:
    """A user came online (first open connection) or went offline (last one closed)."""

    user_id: str
    online: bool


@dataclass(frozen=True, slots=True)
class AccessRevoked:
    """`user_id` may have lost sight of a conversation (and of its participants).

    A hint, not a verdict: subscribers that hear it check access again in SQL.
    """

    conversation_id: str
    user_id: str
    reason: str


_EVENT_FIELDS = frozenset(field.name for field in fields(MessageEvent))


class _MessageEvents(Channel[MessageEvent]):
    """chat.messages: every sent message's event goes through it (issue 14), so
    it is encoded without dataclasses.asdict's recursive deep copy (its values are
    JSON already: the snapshot's dict is copied, one level) and decoded with its
    field names known, not looked up per event."""

    def encode(self, payload: MessageEvent) -> dict[str, Any]:
        if isinstance(payload, dict):
            return payload
        data = {name: getattr(payload, name) for name in _EVENT_FIELDS}
        data["message"] = dict(payload.message)
        return data

    def decode(self, data: dict[str, Any]) -> MessageEvent:
        return MessageEvent(**{k: v for k, v in data.items() if k in _EVENT_FIELDS})


# One channel for every conversation: access changes are rare, and a presence
# subscription must hear those of any user it watches.
ACCESS = Channel("chat.access", AccessRevoked)
MESSAGE_EVENTS: Channel[MessageEvent] = _MessageEvents("chat.messages", MessageEvent)
TYPING = Channel("chat.typing", TypingChanged)
RECEIPTS = Channel("chat.receipts", ReceiptMoved)
PRESENCE = Channel("chat.presence", PresenceChanged)
