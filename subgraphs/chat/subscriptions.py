"""The live streams behind the subscriptions, as async generators tests can drive.

messageEvents delivers every message of a conversation once, in seq order, with no
gap (issue 14). The database is the log (seq is gap-free per conversation, given
under the conversation's row lock) and the live channel only the prompt to read it:
the stream subscribes FIRST, then replays the stored messages after the cursor (or
starts after the conversation's last seq), and remembers the last seq it delivered.
A live `added` event at or below it is a duplicate (dropped); one further ahead than
the next seq means earlier ones were lost or published late, so those are read from
the database first (committed: a later seq is given only once they committed). When
the broker reports a gap (its link was down, or this stream's queue overflowed),
everything after the last seq is read from the database before going on. Edits,
reactions and pins are delivered as they arrive (at least once while the broker is
up); the stored message is their truth.

Every stream ends with a FORBIDDEN error when its viewer loses access while it runs
(a participant removed, a complaint reassigned away; see revocation).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import TYPE_CHECKING, TypeVar

from subgraphs.chat.access import require_visible_users
from subgraphs.chat.conversations import get_visible_conversation
from subgraphs.chat.events import (
    MESSAGE_EVENTS,
    PRESENCE,
    RECEIPTS,
    TYPING,
    AccessRevoked,
    AccessRevokedReason,
    MessageEvent,
    MessageEventKind,
    MessageSnapshot,
    PresenceChanged,
    ReceiptMoved,
)
from subgraphs.chat.messages import replay_messages
from subgraphs.chat.models import Conversation, Message, Participant
from subgraphs.chat.revocation import until_revoked

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator

    from subgraphs.chat.presence import Presence
    from subgraphs.kit.principal import Principal
    from subgraphs.kit.pubsub import Broker

__all__ = [
    "message_events",
    "presence_updates",
    "receipt_updates",
    "typing_updates",
]

T = TypeVar("T")


def _conversation_stream(
    viewer: Principal,
    conversation_id: str,
    broker: Broker,
    stream: AsyncGenerator[T, None],
) -> AsyncGenerator[T, None]:
    """`stream` of one conversation, ended when `viewer` can no longer see it."""
    try:
        canonical = str(uuid.UUID(conversation_id))
    except ValueError:
        canonical = conversation_id  # the stream refuses it at its first step

    def concerns(event: AccessRevoked) -> bool:
        # A reassignment can hide the complaint from agents who are not named in
        # the event (those who saw it while it was unassigned): all check again.
        return event.conversation_id == canonical and (
            event.user_id == viewer.user_id
            or event.reason == AccessRevokedReason.COMPLAINT_REASSIGNED
        )

    async def recheck() -> None:
        await get_visible_conversation(viewer, conversation_id)

    return until_revoked(stream, broker=broker, concerns=concerns, recheck=recheck)


def message_events(
    viewer: Principal, conversation_id: str, *, broker: Broker, after: int | None = None
) -> AsyncGenerator[MessageEvent, None]:
    """Events of a conversation; with `after`, first every stored message after it.

    Raises NotAParticipant (FORBIDDEN) at the start, or later once the viewer loses
    access; ConversationNotFound when there is no such conversation.
    """
    return _conversation_stream(
        viewer,
        conversation_id,
        broker,
        _message_events(viewer, conversation_id, broker=broker, after=after),
    )


def typing_updates(
    viewer: Principal, conversation_id: str, *, broker: Broker
) -> AsyncGenerator[list[str], None]:
    """The ids of the others typing: first none, then each time the set changes.

    An indicator is dropped `ttl` seconds after its last refresh, by this stream's
    own clock, so it expires even when the typist's connection is gone.
    """
    return _conversation_stream(
        viewer,
        conversation_id,
        broker,
        _typing_updates(viewer, conversation_id, broker=broker),
    )


def receipt_updates(
    viewer: Principal, conversation_id: str, *, broker: Broker
) -> AsyncGenerator[ReceiptMoved, None]:
    """Every participant's read cursor now, then each move as it happens."""
    return _conversation_stream(
        viewer,
        conversation_id,
        broker,
        _receipt_updates(viewer, conversation_id, broker=broker),
    )


def presence_updates(
    viewer: Principal, user_ids: list[str], *, broker: Broker, presence: Presence
) -> AsyncGenerator[PresenceChanged, None]:
    """The current state of each of `user_ids`, then each change.

    Raises NotAContact (FORBIDDEN) when `viewer` may not watch one of them (see
    access.visible_users), at the start or later once they lose sight of one.
    """
    wanted = sorted(set(user_ids))
    watched = {viewer.user_id, *wanted}

    def concerns(event: AccessRevoked) -> bool:
        if event.user_id in watched:
            return True
        # Agents see complaint owners through assignment, which others may change.
        return viewer.is_support_agent and (
            event.reason == AccessRevokedReason.COMPLAINT_REASSIGNED
        )

    async def recheck() -> None:
        await require_visible_users(viewer, wanted)

    return until_revoked(
        _presence_updates(viewer, wanted, broker=broker, presence=presence),
        broker=broker,
        concerns=concerns,
        recheck=recheck,
    )


async def _message_events(
    viewer: Principal, conversation_id: str, *, broker: Broker, after: int | None = None
) -> AsyncGenerator[MessageEvent, None]:
    conversation = await get_visible_conversation(viewer, conversation_id)
    channel = MESSAGE_EVENTS.name(str(conversation.id))
    async with broker.subscribe(channel) as live:
        if after is not None:
            delivered = after
        else:  # read after subscribing: every later message is heard or read
            delivered = await _last_seq(conversation.id)
        async for message in replay_messages(conversation.id, delivered):
            yield _added(message)
            delivered = message.seq
        while True:
            try:
                payload = await live.get()
            except StopAsyncIteration:
                return
            if payload is None:  # the broker may have lost events: read them
                async for message in replay_messages(conversation.id, delivered):
                    yield _added(message)
                    delivered = message.seq
                continue
            event = MESSAGE_EVENTS.decode(payload)
            if event.kind != MessageEventKind.ADDED:
                yield event
                continue
            if event.seq <= delivered:
                continue  # a duplicate (replayed, or published again)
            if event.seq > delivered + 1:
                async for message in _messages_between(
                    conversation.id, delivered, event.seq
                ):
                    yield _added(message)
                    delivered = message.seq
            yield event
            delivered = event.seq


def _added(message: Message) -> MessageEvent:
    snapshot = MessageSnapshot.of(message)
    return MessageEvent(
        kind=str(MessageEventKind.ADDED),
        conversation_id=snapshot.conversation_id,
        seq=snapshot.seq,
        actor_id=snapshot.sender_id,
        message=snapshot.to_json(),
    )


async def _last_seq(conversation_id: uuid.UUID) -> int:
    conversation = await Conversation.get_or_none(id=conversation_id).only(
        "id", "last_seq"
    )
    return conversation.last_seq if conversation is not None else 0


async def _messages_between(
    conversation_id: uuid.UUID, after: int, before: int
) -> AsyncIterator[Message]:
    """Stored messages with `after` < seq < `before`, oldest first."""
    for message in await Message.filter(
        conversation_id=conversation_id, seq__gt=after, seq__lt=before
    ).order_by("seq"):
        yield message


async def _typing_updates(
    viewer: Principal, conversation_id: str, *, broker: Broker
) -> AsyncGenerator[list[str], None]:
    conversation = await get_visible_conversation(viewer, conversation_id)
    expiries: dict[str, float] = {}
    async with broker.subscribe(TYPING.name(str(conversation.id))) as live:
        events = aiter(live)
        yield []
        while True:
            timeout = None
            if expiries:
                timeout = max(0.0, min(expiries.values()) - time.monotonic())
            try:
                payload = await asyncio.wait_for(anext(events), timeout)
            except TimeoutError:
                now = time.monotonic()
                expired = [u for u, at in expiries.items() if at <= now]
                for user_id in expired:
                    del expiries[user_id]
                if expired:
                    yield sorted(expiries)
                continue
            event = TYPING.decode(payload)
            if event.user_id == viewer.user_id:
                continue
            was_typing = event.user_id in expiries
            if event.typing:
                expiries[event.user_id] = time.monotonic() + event.ttl
            else:
                expiries.pop(event.user_id, None)
            if was_typing != event.typing:
                yield sorted(expiries)


async def _receipt_updates(
    viewer: Principal, conversation_id: str, *, broker: Broker
) -> AsyncGenerator[ReceiptMoved, None]:
    conversation = await get_visible_conversation(viewer, conversation_id)
    async with broker.subscribe(RECEIPTS.name(str(conversation.id))) as live:
        for participant in await Participant.filter(
            conversation_id=conversation.id
        ).order_by("id"):
            yield ReceiptMoved(
                conversation_id=str(conversation.id),
                user_id=participant.user_id,
                read_seq=participant.read_seq,
                delivered_seq=participant.delivered_seq,
            )
        async for payload in live:
            yield RECEIPTS.decode(payload)


async def _presence_updates(
    viewer: Principal, user_ids: list[str], *, broker: Broker, presence: Presence
) -> AsyncGenerator[PresenceChanged, None]:
    await require_visible_users(viewer, user_ids)
    wanted = set(user_ids)
    async with broker.subscribe(PRESENCE.name()) as live:
        for user_id, online in (await presence.online(user_ids)).items():
            yield PresenceChanged(user_id=user_id, online=online)
        async for payload in live:
            event = PRESENCE.decode(payload)
            if event.user_id in wanted:
                yield event
