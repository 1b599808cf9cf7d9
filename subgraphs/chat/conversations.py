"""Conversations: listing with unread counts, direct conversations, read receipts."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from subgraphs.chat.access import visible_conversation_sql, visible_conversations
from subgraphs.chat.errors import (
    ConversationNotFound,
    InvalidConversation,
    InvalidCursor,
    MessageNotFound,
    NotAParticipant,
    ParticipantNotRemovable,
)
from subgraphs.chat.events import (
    ACCESS,
    RECEIPTS,
    AccessRevoked,
    AccessRevokedReason,
    ReceiptMoved,
)
from subgraphs.chat.models import (
    ComplaintStatus,
    Conversation,
    ConversationKind,
    Message,
    Participant,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from tortoise.backends.base.client import BaseDBAsyncClient

    from subgraphs.kit.principal import Principal
    from subgraphs.kit.pubsub import Broker

__all__ = [
    "DEFAULT_CONVERSATIONS_PAGE",
    "ConversationFilter",
    "ConversationPage",
    "accept_conversation",
    "get_conversation",
    "get_visible_conversation",
    "list_conversations",
    "mark_delivered",
    "mark_read",
    "remove_participant",
    "start_direct_conversation",
    "total_unread_counts",
    "unread_counts",
]

DEFAULT_CONVERSATIONS_PAGE = 20
MAX_PAGE = 100
MAX_MEMBERS = 50
# Participant.user_id is a varchar(64): accounts' ids are UUIDs, far shorter.
MAX_USER_ID = 64


@dataclass(frozen=True, slots=True)
class ConversationFilter:
    kind: ConversationKind | None = None
    complaint_status: ComplaintStatus | None = None


@dataclass(frozen=True, slots=True)
class ConversationPage:
    """Conversations, most recently active first, and the cursor of each."""

    conversations: tuple[Conversation, ...]
    cursors: tuple[str, ...]
    has_next_page: bool


def _conversation_cursor(conversation: Conversation) -> str:
    assert conversation.last_message_at is not None  # set at creation
    raw = f"conversation:{conversation.last_message_at.isoformat()}|{conversation.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_conversation_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        kind, _, rest = raw.partition(":")
        at, _, conversation_id = rest.partition("|")
        if kind != "conversation":
            raise ValueError(kind)
        return datetime.fromisoformat(at), uuid.UUID(conversation_id)
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise InvalidCursor(cursor) from exc


def _uuid(value: str, error: Exception) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise error from exc


async def get_conversation(
    viewer: Principal, conversation_id: str
) -> Conversation | None:
    """The conversation when `viewer` may see it, else None."""
    try:
        key = uuid.UUID(conversation_id)
    except ValueError:
        return None
    db = Conversation._meta.db
    if db.capabilities.dialect == "postgres":
        return await _visible_on_postgres(db, viewer, key)
    return await Conversation.filter(visible_conversations(viewer), id=key).first()


async def _visible_on_postgres(
    db: BaseDBAsyncClient, viewer: Principal, key: uuid.UUID
) -> Conversation | None:
    """`get_conversation` in a hand-written statement (issue 14): Tortoise's
    building of the access filter cost more CPU than the rest of a send together
    (every call of get_visible_conversation: reads, typing, subscriptions)."""
    values: list[object] = [key]

    def bind(value: object) -> str:
        values.append(value)
        return f"${len(values)}"

    visible = visible_conversation_sql(viewer, "c", bind)
    columns = ", ".join(f"c.{name}" for name in sorted(Conversation._meta.db_fields))
    rows = await db.execute_query_dict(
        f"SELECT {columns} FROM chat_conversation c WHERE c.id = $1 AND {visible}",
        values,
    )
    return Conversation._init_from_db(**rows[0]) if rows else None


async def get_visible_conversation(
    viewer: Principal, conversation_id: str
) -> Conversation:
    """The conversation `viewer` may write to.

    Raises ConversationNotFound when there is none with this id, NotAParticipant when
    it exists but is not the caller's.
    """
    conversation = await get_conversation(viewer, conversation_id)
    if conversation is not None:
        return conversation
    key = _uuid(conversation_id, ConversationNotFound(conversation_id))
    if await Conversation.filter(id=key).exists():
        raise NotAParticipant(conversation_id)
    raise ConversationNotFound(conversation_id)


async def list_conversations(
    viewer: Principal,
    *,
    first: int = DEFAULT_CONVERSATIONS_PAGE,
    after: str | None = None,
    filter: ConversationFilter | None = None,
) -> ConversationPage:
    """A page of the conversations `viewer` may see, most recently active first."""
    first = max(0, min(first, MAX_PAGE))
    query = Conversation.filter(visible_conversations(viewer))
    if filter is not None and filter.kind is not None:
        query = query.filter(kind=filter.kind)
    if filter is not None and filter.complaint_status is not None:
        query = query.filter(complaint__status=filter.complaint_status)
    if after is not None:
        at, conversation_id = _decode_conversation_cursor(after)
        query = query.filter(
            Q(last_message_at__lt=at) | Q(last_message_at=at, id__lt=conversation_id)
        )
    rows = await query.order_by("-last_message_at", "-id").limit(first + 1)
    page = tuple(rows[:first])
    return ConversationPage(
        conversations=page,
        cursors=tuple(_conversation_cursor(c) for c in page),
        has_next_page=len(rows) > first,
    )


def _placeholders(dialect: str, start: int, count: int) -> str:
    if dialect == "postgres":
        return ", ".join(f"${i}" for i in range(start, start + count))
    return ", ".join("?" for _ in range(count))


def _param(dialect: str, index: int) -> str:
    return f"${index}" if dialect == "postgres" else "?"


async def unread_counts(user_id: str, conversation_ids: list[str]) -> dict[str, int]:
    """Unread messages per conversation for `user_id`, in one SQL statement.

    Unread: not deleted, not sent by the user, after the user's read cursor (all of
    them when the user has no cursor yet, e.g. an agent on an unassigned complaint).
    """
    if not conversation_ids:
        return {}
    db = Message._meta.db
    dialect = db.capabilities.dialect
    ids = [str(uuid.UUID(i)) for i in conversation_ids]
    sql = (
        "SELECT m.conversation_id AS conversation_id, COUNT(*) AS unread "
        "FROM chat_message m "
        "LEFT JOIN chat_participant p "
        "ON p.conversation_id = m.conversation_id "
        f"AND p.user_id = {_param(dialect, 1)} "
        # Placeholders appear in number order: SQLite's `?` are positional.
        f"WHERE m.sender_id <> {_param(dialect, 2)} "
        f"AND m.conversation_id IN ({_placeholders(dialect, 3, len(ids))}) "
        "AND m.deleted = FALSE AND m.seq > COALESCE(p.read_seq, 0) "
        "GROUP BY m.conversation_id"
    )
    values: list[object] = [user_id, user_id]
    values += [uuid.UUID(i) for i in ids] if dialect == "postgres" else ids
    rows = await db.execute_query_dict(sql, values)
    counts = {i: 0 for i in ids}
    for row in rows:
        counts[str(row["conversation_id"])] = int(row["unread"])
    return counts


async def total_unread_counts(user_ids: list[str]) -> dict[str, int]:
    """Unread messages over all conversations each user takes part in, one statement."""
    if not user_ids:
        return {}
    db = Message._meta.db
    dialect = db.capabilities.dialect
    sql = (
        "SELECT p.user_id AS user_id, COUNT(m.id) AS unread "
        "FROM chat_participant p "
        "JOIN chat_message m ON m.conversation_id = p.conversation_id "
        "AND m.seq > p.read_seq AND m.sender_id <> p.user_id AND m.deleted = FALSE "
        f"WHERE p.user_id IN ({_placeholders(dialect, 1, len(user_ids))}) "
        "GROUP BY p.user_id"
    )
    rows = await db.execute_query_dict(sql, list(user_ids))
    counts = dict.fromkeys(user_ids, 0)
    for row in rows:
        counts[str(row["user_id"])] = int(row["unread"])
    return counts


async def ensure_participant(conversation_id: uuid.UUID, user_id: str) -> Participant:
    participant, _ = await Participant.get_or_create(
        conversation_id=conversation_id, user_id=user_id
    )
    return participant


async def start_direct_conversation(
    viewer: Principal,
    other_user_ids: list[str],
    *,
    tenants: Mapping[str, str | None] | None = None,
) -> Conversation:
    """A new direct conversation between `viewer` and 1 to 49 others.

    `tenants` maps the ids accounts knows (its user directory) to their tenant.
    Someone known to be in the caller's tenant takes part at once; anyone else
    (another tenant, no tenant, unknown) is invited and must accept it
    (accept_conversation) before either side sees the other's presence.

    The ids are not checked against accounts: chat cannot read accounts' tables, and
    asking accounts on every write would tie this subgraph's writes to another's
    uptime. An id that names nobody gives a participant whose `User`, resolved by
    the accounts subgraph through the gateway, is null with accounts' NOT_FOUND
    error; such a participant can never log in to read or write. Ids must be well
    formed (1 to 64 characters, no whitespace), else InvalidConversation.
    """
    for user_id in other_user_ids:
        if not 0 < len(user_id) <= MAX_USER_ID or any(c.isspace() for c in user_id):
            raise InvalidConversation(f"{user_id[:MAX_USER_ID]!r} is not a user id")
    members = sorted({viewer.user_id, *other_user_ids})
    if not 2 <= len(members) <= MAX_MEMBERS:
        raise InvalidConversation(f"a conversation needs 2 to {MAX_MEMBERS} members")
    async with in_transaction("chat"):
        conversation = await Conversation.create(
            tenant_id=viewer.tenant_id or "",
            kind=ConversationKind.DIRECT,
            last_message_at=datetime.now(UTC),
        )
        await Participant.bulk_create(
            [
                Participant(
                    conversation=conversation,
                    user_id=u,
                    accepted=u == viewer.user_id or _same_tenant(viewer, u, tenants),
                )
                for u in members
            ]
        )
    return conversation


def _same_tenant(
    viewer: Principal, user_id: str, tenants: Mapping[str, str | None] | None
) -> bool:
    if viewer.tenant_id is None or tenants is None:
        return False
    return tenants.get(user_id, None) == viewer.tenant_id


async def accept_conversation(viewer: Principal, conversation_id: str) -> Conversation:
    """Accept an invitation to a direct conversation (a no-op once accepted).

    Raises ConversationNotFound, NotAParticipant as get_visible_conversation.
    """
    conversation = await get_visible_conversation(viewer, conversation_id)
    await Participant.filter(
        conversation_id=conversation.id, user_id=viewer.user_id, accepted=False
    ).update(accepted=True)
    return conversation


async def remove_participant(
    viewer: Principal, conversation_id: str, user_id: str, *, broker: Broker
) -> bool:
    """Take `user_id` out of a conversation; True when they were in it.

    Anyone may leave (remove themselves). Platform admins may remove anyone; support
    agents anyone but the owner from the complaint conversations they may see.
    Raises ParticipantNotRemovable otherwise. Once committed, an AccessRevoked event
    ends the removed user's open subscriptions of this conversation.
    """
    conversation = await get_visible_conversation(viewer, conversation_id)
    if user_id != viewer.user_id and not viewer.is_platform_admin:
        if (
            not viewer.is_support_agent
            or conversation.kind is not ConversationKind.COMPLAINT
        ):
            raise ParticipantNotRemovable(user_id, "only staff remove others")
        await conversation.fetch_related("complaint")
        if conversation.complaint is not None and (
            conversation.complaint.owner_id == user_id
        ):
            raise ParticipantNotRemovable(user_id, "the complaint's owner stays")
    removed = await Participant.filter(
        conversation_id=conversation.id, user_id=user_id
    ).delete()
    if removed:
        await ACCESS.publish(
            broker,
            AccessRevoked(
                conversation_id=str(conversation.id),
                user_id=user_id,
                reason=str(AccessRevokedReason.PARTICIPANT_REMOVED),
            ),
        )
    return bool(removed)


async def mark_read(
    viewer: Principal, conversation_id: str, up_to_message_id: str, *, broker: Broker
) -> Participant:
    """Move the caller's read and delivered cursors up to a message, never back."""
    return await _move_cursors(
        viewer, conversation_id, up_to_message_id, read=True, broker=broker
    )


async def mark_delivered(
    viewer: Principal, conversation_id: str, up_to_message_id: str, *, broker: Broker
) -> Participant:
    """Move the caller's delivered cursor up to a message (the device has it)."""
    return await _move_cursors(
        viewer, conversation_id, up_to_message_id, read=False, broker=broker
    )


async def _move_cursors(
    viewer: Principal,
    conversation_id: str,
    up_to_message_id: str,
    *,
    read: bool,
    broker: Broker,
) -> Participant:
    conversation = await get_visible_conversation(viewer, conversation_id)
    message_key = _uuid(up_to_message_id, MessageNotFound(up_to_message_id))
    message = await Message.get_or_none(id=message_key, conversation_id=conversation.id)
    if message is None:
        raise MessageNotFound(up_to_message_id)
    async with in_transaction("chat"):
        participant = await ensure_participant(conversation.id, viewer.user_id)
        # Conditional updates: concurrent calls can only move a cursor forward.
        mine = Participant.filter(id=participant.id)
        moved = await mine.filter(delivered_seq__lt=message.seq).update(
            delivered_seq=message.seq
        )
        if read:
            moved += await mine.filter(read_seq__lt=message.seq).update(
                read_seq=message.seq
            )
        participant = await Participant.get(id=participant.id)
    if moved:
        await RECEIPTS.publish(
            broker,
            str(conversation.id),
            ReceiptMoved(
                conversation_id=str(conversation.id),
                user_id=viewer.user_id,
                read_seq=participant.read_seq,
                delivered_seq=participant.delivered_seq,
            ),
        )
    return participant
