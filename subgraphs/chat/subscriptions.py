"""The live streams behind the subscriptions, as async generators tests can drive.

messageEvents replays without gap or duplicate: it subscribes to the channel FIRST,
then reads the stored messages after the cursor, then drops the live `added` events
whose seq it has already replayed. A message committed during the replay is either
read by it or arrives live (it was published after commit, and we were listening).

Every stream ends with a FORBIDDEN error when its viewer loses access while it runs
(a participant removed, a complaint reassigned away; see revocation).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import TYPE_CHECKING, TypeVar

from .access import require_visible_users
from .conversations import get_visible_conversation
from .events import (
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
from .messages import replay_messages
from .models import Participant
from .revocation import until_revoked

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from subgraphs.kit.principal import Principal
    from subgraphs.kit.pubsub import Broker

    from .presence import Presence

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
        replayed = after if after is not None else 0
        if after is not None:
            async for message in replay_messages(conversation.id, after):
                snapshot = MessageSnapshot.of(message)
                yield MessageEvent(
                    kind=str(MessageEventKind.ADDED),
                    conversation_id=snapshot.conversation_id,
                    seq=snapshot.seq,
                    actor_id=snapshot.sender_id,
                    message=snapshot.to_json(),
                )
                replayed = message.seq
        async for payload in live:
            event = MESSAGE_EVENTS.decode(payload)
            if event.kind == MessageEventKind.ADDED and event.seq <= replayed:
                continue  # already replayed from the database
            yield event


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
