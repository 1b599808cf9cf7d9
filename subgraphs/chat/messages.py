"""Messages: send (idempotent), edit, delete, react, pin, page through and replay.

Every change is committed first and published after, so no subscriber ever hears of a
message that is not stored. Publishing is at least once (Broker.publish_reliably: a
publish Redis refuses is sent again once it is back, and a retried send publishes
again); a change that is stored is answered as a success whatever the broker does,
and subscribers drop duplicates and read what they missed by seq (subscriptions.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from subgraphs.chat.access import visible_conversations
from subgraphs.chat.conversations import get_visible_conversation
from subgraphs.chat.errors import (
    ClientIdReused,
    ConversationNotFound,
    MessageNotFound,
    NotAParticipant,
    NotYourMessage,
)
from subgraphs.chat.events import (
    MESSAGE_EVENTS,
    MessageEvent,
    MessageEventKind,
    MessageSnapshot,
)
from subgraphs.chat.limits import ActionLimits, limit_action
from subgraphs.chat.models import Conversation, Message, Participant, Reaction
from subgraphs.chat.send_postgres import check_send, store_message
from subgraphs.chat.validation import (
    Attachment,
    attachment_columns,
    validate_attachment,
    validate_client_id,
    validate_emoji,
    validate_text,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tortoise.backends.base.client import BaseDBAsyncClient

    from subgraphs.chat.ratelimit import RateLimiter
    from subgraphs.kit.principal import Principal
    from subgraphs.kit.pubsub import Broker

__all__ = [
    "DEFAULT_MESSAGES_PAGE",
    "MessagePage",
    "delete_message",
    "edit_message",
    "get_visible_message",
    "list_messages",
    "pin_message",
    "publish_message_event",
    "react",
    "replay_messages",
    "send_message",
    "unreact",
]

DEFAULT_MESSAGES_PAGE = 50
MAX_MESSAGES_PAGE = 200
_REPLAY_BATCH = 200
DEFAULT_ACTION_LIMITS = ActionLimits()


@dataclass(frozen=True, slots=True)
class MessagePage:
    """Messages newest first; `has_older` says whether older messages exist."""

    messages: tuple[Message, ...]
    has_older: bool


def _now() -> datetime:
    return datetime.now(UTC)


async def publish_message_event(
    broker: Broker,
    kind: MessageEventKind,
    message: Message,
    actor_id: str,
    emoji: str | None = None,
) -> None:
    snapshot = MessageSnapshot.of(message)
    await MESSAGE_EVENTS.publish_reliably(
        broker,
        snapshot.conversation_id,
        MessageEvent(
            kind=str(kind),
            conversation_id=snapshot.conversation_id,
            seq=snapshot.seq,
            actor_id=actor_id,
            message=snapshot.to_json(),
            emoji=emoji,
        ),
    )


async def _existing_send(
    viewer: Principal, client_id: str, conversation: Conversation
) -> Message | None:
    message = await Message.get_or_none(sender_id=viewer.user_id, client_id=client_id)
    if message is not None and message.conversation_id != conversation.id:
        raise ClientIdReused(client_id)
    return message


async def send_message(
    viewer: Principal,
    conversation_id: str,
    text: str,
    *,
    broker: Broker,
    limiter: RateLimiter,
    client_id: str | None = None,
    attachment: Attachment | None = None,
    reply_to_id: str | None = None,
) -> Message:
    """Store a message and publish it; a retry with the same `client_id` returns it.

    Raises InvalidMessage, NotAParticipant, ConversationNotFound, MessageNotFound (reply
    to a message not in this conversation), ClientIdReused, MessageRateLimited; in each
    case nothing is stored and nothing is published.
    """
    validate_text(text, has_attachment=attachment is not None)
    validate_client_id(client_id)
    if attachment is not None:
        validate_attachment(attachment)
    db = Message._meta.db
    if db.capabilities.dialect == "postgres":
        return await _send_on_postgres(
            db,
            viewer,
            conversation_id,
            text,
            broker=broker,
            limiter=limiter,
            client_id=client_id,
            attachment=attachment,
            reply_to_id=reply_to_id,
        )
    conversation = await get_visible_conversation(viewer, conversation_id)
    if client_id is not None:
        existing = await _existing_send(viewer, client_id, conversation)
        if existing is not None:
            # The first try may have stored it and lost its publish: publish again
            # (subscribers drop the duplicate).
            await publish_message_event(
                broker, MessageEventKind.ADDED, existing, viewer.user_id
            )
            return existing
    reply_to = None
    if reply_to_id is not None:
        reply_to = await _message_in(conversation, reply_to_id)
    await limiter.hit(viewer.user_id)
    try:
        async with in_transaction("chat"):
            # The row lock serialises senders, so seq has no gap and no duplicate.
            locked = await Conversation.select_for_update().get(id=conversation.id)
            seq = locked.last_seq + 1
            message = await Message.create(
                conversation_id=conversation.id,
                seq=seq,
                sender_id=viewer.user_id,
                client_id=client_id,
                text=text,
                **attachment_columns(attachment),
                reply_to_id=reply_to.id if reply_to else None,
            )
            await Conversation.filter(id=conversation.id).update(
                last_seq=seq,
                last_message_id=message.id,
                last_message_at=message.created_at,
            )
            # Sending implies having read the conversation up to one's own message.
            moved = await Participant.filter(
                conversation_id=conversation.id, user_id=viewer.user_id
            ).update(read_seq=seq, delivered_seq=seq, accepted=True)
            if not moved:
                await Participant.create(
                    conversation_id=conversation.id,
                    user_id=viewer.user_id,
                    read_seq=seq,
                    delivered_seq=seq,
                )
    except IntegrityError:
        # A concurrent retry of the same send won the race: answer with its message.
        if client_id is not None:
            existing = await _existing_send(viewer, client_id, conversation)
            if existing is not None:
                return existing
        raise
    await publish_message_event(broker, MessageEventKind.ADDED, message, viewer.user_id)
    return message


async def _send_on_postgres(
    db: BaseDBAsyncClient,
    viewer: Principal,
    conversation_id: str,
    text: str,
    *,
    broker: Broker,
    limiter: RateLimiter,
    client_id: str | None,
    attachment: Attachment | None,
    reply_to_id: str | None,
) -> Message:
    """`send_message` in two hand-written statements (subgraphs.chat.send_postgres):
    the same checks in the same order, the same rows written, the same answers."""
    try:
        key = uuid.UUID(conversation_id)
    except ValueError as exc:
        raise ConversationNotFound(conversation_id) from exc
    reply_key = None
    if reply_to_id is not None:
        try:
            reply_key = uuid.UUID(reply_to_id)
        except ValueError:
            reply_key = None
    check = await check_send(db, viewer, key, client_id, reply_key)
    if not check.found:
        raise ConversationNotFound(conversation_id)
    if not check.visible:
        raise NotAParticipant(conversation_id)
    if client_id is not None and check.existing_id is not None:
        if check.existing_conversation_id != key:
            raise ClientIdReused(client_id)
        # The first try may have stored it and lost its publish: publish again
        # (subscribers drop the duplicate).
        existing = await Message.get(id=check.existing_id)
        await publish_message_event(
            broker, MessageEventKind.ADDED, existing, viewer.user_id
        )
        return existing
    if reply_to_id is not None and not check.reply_found:
        raise MessageNotFound(reply_to_id)
    await limiter.hit(viewer.user_id)
    message_id = uuid.uuid4()
    created_at = _now()
    seq = await store_message(
        db,
        message_id=message_id,
        conversation_id=key,
        sender_id=viewer.user_id,
        client_id=client_id,
        text=text,
        attachment=attachment,
        reply_to_id=reply_key,
        created_at=created_at,
    )
    if seq is None:
        # A concurrent retry of the same send stored it first: answer with its
        # message (as the IntegrityError of the Tortoise path does).
        if client_id is not None:
            stored = await Message.get_or_none(
                sender_id=viewer.user_id, client_id=client_id
            )
            if stored is not None:
                if stored.conversation_id != key:
                    raise ClientIdReused(client_id)
                return stored
        raise ConversationNotFound(conversation_id)
    message = Message._init_from_db(
        id=message_id,
        conversation_id=key,
        seq=seq,
        sender_id=viewer.user_id,
        client_id=client_id,
        text=text,
        **attachment_columns(attachment),
        reply_to_id=reply_key,
        edited=False,
        deleted=False,
        pinned=False,
        created_at=created_at,
        edited_at=None,
    )
    await publish_message_event(broker, MessageEventKind.ADDED, message, viewer.user_id)
    return message


async def _message_in(conversation: Conversation, message_id: str) -> Message:
    try:
        key = uuid.UUID(message_id)
    except ValueError as exc:
        raise MessageNotFound(message_id) from exc
    message = await Message.get_or_none(id=key, conversation_id=conversation.id)
    if message is None:
        raise MessageNotFound(message_id)
    return message


async def get_visible_message(viewer: Principal, message_id: str) -> Message:
    """The message if in a conversation `viewer` may see; else MessageNotFound."""
    try:
        key = uuid.UUID(message_id)
    except ValueError as exc:
        raise MessageNotFound(message_id) from exc
    visible = Subquery(Conversation.filter(visible_conversations(viewer)).values("id"))
    message = await Message.filter(id=key, conversation_id__in=visible).first()
    if message is None:
        raise MessageNotFound(message_id)
    return message


async def edit_message(
    viewer: Principal,
    message_id: str,
    text: str,
    *,
    broker: Broker,
    limiter: RateLimiter | None = None,
    limits: ActionLimits = DEFAULT_ACTION_LIMITS,
) -> Message:
    """Replace the text of one's own message; raises NotYourMessage, InvalidMessage,
    ActionRateLimited (with a limiter) past the edit limits."""
    message = await get_visible_message(viewer, message_id)
    if message.sender_id != viewer.user_id or message.deleted:
        raise NotYourMessage(message_id)
    validate_text(text, has_attachment=message.attachment_kind is not None)
    if limiter is not None:
        await limit_action(limiter, limits, "edits", viewer.user_id)
    message.text = text
    message.edited = True
    message.edited_at = _now()
    await message.save(update_fields=["text", "edited", "edited_at"])
    await publish_message_event(
        broker, MessageEventKind.EDITED, message, viewer.user_id
    )
    return message


async def delete_message(
    viewer: Principal, message_id: str, *, broker: Broker
) -> Message:
    """Tombstone a message (its sender or a platform admin): text and attachment go."""
    message = await get_visible_message(viewer, message_id)
    if message.sender_id != viewer.user_id and not viewer.is_platform_admin:
        raise NotYourMessage(message_id)
    if message.deleted:
        return message
    message.deleted = True
    message.text = ""
    # Tortoise types a nullable enum field without its None.
    message.attachment_kind = None  # type: ignore[assignment]
    message.attachment_url = None
    message.attachment_size = None
    message.attachment_content_type = None
    message.attachment_duration = None
    await message.save()
    await publish_message_event(
        broker, MessageEventKind.DELETED, message, viewer.user_id
    )
    return message


async def react(
    viewer: Principal,
    message_id: str,
    emoji: str,
    *,
    broker: Broker,
    limiter: RateLimiter | None = None,
    limits: ActionLimits = DEFAULT_ACTION_LIMITS,
) -> Message:
    """Add the caller's `emoji` to a message (once per user and emoji);
    ActionRateLimited (with a limiter) past the reaction limits."""
    validate_emoji(emoji)
    message = await get_visible_message(viewer, message_id)
    if limiter is not None:
        await limit_action(limiter, limits, "reactions", viewer.user_id)
    try:
        await Reaction.create(
            message_id=message.id, user_id=viewer.user_id, emoji=emoji
        )
    except IntegrityError:
        return message  # already there: reacting is idempotent
    await publish_message_event(
        broker, MessageEventKind.REACTED, message, viewer.user_id, emoji
    )
    return message


async def unreact(
    viewer: Principal, message_id: str, emoji: str, *, broker: Broker
) -> Message:
    """Remove the caller's `emoji` from a message, if it was there."""
    validate_emoji(emoji)
    message = await get_visible_message(viewer, message_id)
    removed = await Reaction.filter(
        message_id=message.id, user_id=viewer.user_id, emoji=emoji
    ).delete()
    if removed:
        await publish_message_event(
            broker, MessageEventKind.UNREACTED, message, viewer.user_id, emoji
        )
    return message


async def pin_message(
    viewer: Principal,
    message_id: str,
    pinned: bool,
    *,
    broker: Broker,
    limiter: RateLimiter | None = None,
    limits: ActionLimits = DEFAULT_ACTION_LIMITS,
) -> Message:
    """Pin or unpin a message; any participant may. ActionRateLimited (with a
    limiter) past the pin limits."""
    message = await get_visible_message(viewer, message_id)
    if message.pinned != pinned and not message.deleted:
        if limiter is not None:
            await limit_action(limiter, limits, "pins", viewer.user_id)
        message.pinned = pinned
        await message.save(update_fields=["pinned"])
        kind = MessageEventKind.PINNED if pinned else MessageEventKind.UNPINNED
        await publish_message_event(broker, kind, message, viewer.user_id)
    return message


async def list_messages(
    viewer: Principal,
    conversation_id: str,
    *,
    first: int = DEFAULT_MESSAGES_PAGE,
    before: int | None = None,
) -> MessagePage:
    """Messages newest first, keyset-paginated on `seq` (older than `before`)."""
    conversation = await get_visible_conversation(viewer, conversation_id)
    first = max(0, min(first, MAX_MESSAGES_PAGE))
    query = Message.filter(conversation_id=conversation.id)
    if before is not None:
        query = query.filter(seq__lt=before)
    rows = await query.order_by("-seq").limit(first + 1)
    return MessagePage(messages=tuple(rows[:first]), has_older=len(rows) > first)


async def replay_messages(
    conversation_id: uuid.UUID, after: int
) -> AsyncIterator[Message]:
    """Every stored message with seq > `after`, oldest first, fetched in batches."""
    while True:
        batch = (
            await Message.filter(conversation_id=conversation_id, seq__gt=after)
            .order_by("seq")
            .limit(_REPLAY_BATCH)
        )
        for message in batch:
            yield message
        if len(batch) < _REPLAY_BATCH:
            return
        after = batch[-1].seq
