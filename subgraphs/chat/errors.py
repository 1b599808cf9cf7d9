"""Errors the chat subgraph raises; each is a kit GraphQL error with `extensions.code`.

AgoraGraphQLError (subgraphs.kit.errors)
├── BadUserInput
│   ├── InvalidMessage          empty or over-long text, a bad or too large attachment
│   ├── InvalidEmoji            a reaction that is not an emoji
│   ├── InvalidCursor           a pagination or replay cursor we did not issue
├── Forbidden
│   ├── NotAParticipant         writing to a conversation the caller may not see
│   ├── NotYourMessage          editing or deleting someone else's message
│   ├── StaffOnly               complaint work reserved to support agents and admins
│   ├── NotAContact             watching users the caller shares no conversation with
│   └── ParticipantNotRemovable removing someone the caller may not remove
├── NotFound
│   ├── ConversationNotFound
│   ├── MessageNotFound
│   └── ComplaintNotFound
├── Conflict
│   └── ClientIdReused          a client id already used for another conversation
├── RateLimited
│   ├── MessageRateLimited      more messages than the per-minute or per-hour limit
│   └── ActionRateLimited       more edits, reactions or pins than their limits
└── BrokerUnavailable
    └── RedisUnavailable        Redis (rate limits, presence) cannot be reached
"""

from __future__ import annotations

from subgraphs.kit.errors import (
    BadUserInput,
    BrokerUnavailable,
    Conflict,
    Forbidden,
    NotFound,
    RateLimited,
)

__all__ = [
    "ActionRateLimited",
    "ClientIdReused",
    "ComplaintNotFound",
    "ConversationNotFound",
    "InvalidComplaint",
    "InvalidConversation",
    "InvalidCursor",
    "InvalidEmoji",
    "InvalidMessage",
    "MessageNotFound",
    "MessageRateLimited",
    "NotAContact",
    "NotAParticipant",
    "NotYourMessage",
    "ParticipantNotRemovable",
    "RedisUnavailable",
    "StaffOnly",
]


class InvalidMessage(BadUserInput):
    """Raised when a message's text or attachment breaks a limit; nothing is stored."""

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        super().__init__(f"Invalid message: {reason}", field=field)
        self.reason = reason


class InvalidEmoji(BadUserInput):
    """Raised when a reaction is not a single emoji."""

    def __init__(self, emoji: str) -> None:
        super().__init__(f"Not an emoji: {emoji!r}", field="emoji")
        self.emoji = emoji


class InvalidCursor(BadUserInput):
    """Raised when a cursor was not issued by this subgraph."""

    def __init__(self, cursor: str) -> None:
        super().__init__(f"Invalid cursor: {cursor!r}")
        self.cursor = cursor


class InvalidComplaint(BadUserInput):
    """Raised when a complaint lacks a subject or a category."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Invalid complaint: {reason}")
        self.reason = reason


class InvalidConversation(BadUserInput):
    """Raised when a direct conversation has too few or too many members."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Invalid conversation: {reason}", field="userIds")
        self.reason = reason


class StaffOnly(Forbidden):
    """Raised when a member attempts what only agents and platform admins may do."""

    def __init__(self, action: str) -> None:
        super().__init__(f"Only support agents and platform admins may {action}")
        self.action = action


class NotAParticipant(Forbidden):
    """Raised when the caller may not take part in the conversation."""

    def __init__(self, conversation_id: str) -> None:
        super().__init__(f"You are not a participant of conversation {conversation_id}")
        self.conversation_id = conversation_id


class NotAContact(Forbidden):
    """Raised when the caller asks for the presence of users they may not watch.

    Refused, not silently dropped: a client then knows why no state arrives, and a
    subscription that loses sight of a user ends the same way (see revocation).
    """

    def __init__(self, user_ids: list[str]) -> None:
        super().__init__(
            "You share no conversation with user(s) " + ", ".join(user_ids)
        )
        self.user_ids = user_ids
        self.extensions["userIds"] = user_ids


class ParticipantNotRemovable(Forbidden):
    """Raised when the caller may not remove this participant from the conversation."""

    def __init__(self, user_id: str, reason: str) -> None:
        super().__init__(f"Cannot remove {user_id} from the conversation: {reason}")
        self.user_id = user_id
        self.reason = reason


class NotYourMessage(Forbidden):
    """Raised when the caller changes a message someone else sent."""

    def __init__(self, message_id: str) -> None:
        super().__init__(f"Message {message_id} was sent by someone else")
        self.message_id = message_id


class ConversationNotFound(NotFound):
    """Raised when no conversation the caller may see has this id."""

    def __init__(self, conversation_id: str) -> None:
        super().__init__("Conversation", conversation_id)
        self.conversation_id = conversation_id


class MessageNotFound(NotFound):
    """Raised when no message the caller may see has this id."""

    def __init__(self, message_id: str) -> None:
        super().__init__("Message", message_id)
        self.message_id = message_id


class ComplaintNotFound(NotFound):
    """Raised when no complaint the caller may see has this id."""

    def __init__(self, complaint_id: str) -> None:
        super().__init__("Complaint", complaint_id)
        self.complaint_id = complaint_id


class ClientIdReused(Conflict):
    """Raised when a client id already names a message in another conversation."""

    def __init__(self, client_id: str) -> None:
        super().__init__(
            f"Client id {client_id!r} already used in another conversation"
        )
        self.client_id = client_id


class MessageRateLimited(RateLimited):
    """Raised when a user sends more than the allowed messages in a window."""

    def __init__(self, limit: int, window: float, retry_after: float) -> None:
        super().__init__(
            f"At most {limit} messages per {window:g} seconds; retry later",
            retry_after=retry_after,
        )
        self.limit = limit
        self.window = window


class ActionRateLimited(RateLimited):
    """Raised when a user edits, reacts or pins more than allowed in a window."""

    def __init__(self, action: str, limit: int, window: float, retry_after: float):
        super().__init__(
            f"At most {limit} {action} per {window:g} seconds; retry later",
            retry_after=retry_after,
        )
        self.action = action
        self.limit = limit
        self.window = window


class RedisUnavailable(BrokerUnavailable):
    """Raised when Redis cannot be reached for rate limits or presence."""

    def __init__(self, purpose: str) -> None:
        super().__init__(f"Redis cannot be reached for {purpose}.")
        self.purpose = purpose
