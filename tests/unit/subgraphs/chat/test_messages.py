"""Sending, editing, deleting, reacting, pinning and paging through messages."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from subgraphs.chat.cursors import decode_cursor, encode_cursor
from subgraphs.chat.errors import (
    ClientIdReused,
    InvalidCursor,
    InvalidEmoji,
    InvalidMessage,
    MessageNotFound,
    MessageRateLimited,
    NotAParticipant,
    NotYourMessage,
)
from subgraphs.chat.events import MESSAGE_EVENTS, MessageEvent
from subgraphs.chat.messages import (
    delete_message,
    edit_message,
    list_messages,
    pin_message,
    react,
    send_message,
    unreact,
)
from subgraphs.chat.models import AttachmentKind, Conversation, Message, Reaction
from subgraphs.chat.validation import Attachment

if TYPE_CHECKING:
    from subgraphs.chat.ratelimit import RateLimiter
    from subgraphs.kit.principal import Principal
    from subgraphs.kit.pubsub import Broker, Subscription


async def drain(events: Subscription) -> list[MessageEvent]:
    """Events already delivered to `events` (publishing is awaited before this)."""
    received = []
    while True:
        try:
            payload = await asyncio.wait_for(anext(events), 0.2)
        except TimeoutError:
            return received
        received.append(MESSAGE_EVENTS.decode(payload))


async def test_send_message_stores_it_with_the_next_seq_and_publishes_it(
    citizen: Principal, conversation_id: str, broker: Broker, limiter: RateLimiter
) -> None:
    async with broker.subscribe(MESSAGE_EVENTS.name(conversation_id)) as events:
        first = await send_message(
            citizen, conversation_id, "hello", broker=broker, limiter=limiter
        )
        second = await send_message(
            citizen, conversation_id, "again", broker=broker, limiter=limiter
        )
        published = await drain(events)
    assert (first.seq, second.seq) == (1, 2)
    assert [(e.kind, e.seq, e.snapshot.text) for e in published] == [
        ("added", 1, "hello"),
        ("added", 2, "again"),
    ]
    conversation = await Conversation.get(id=conversation_id)
    assert conversation.last_seq == 2
    assert conversation.last_message_id == second.id


async def test_retried_send_with_the_same_client_id_is_stored_once(
    citizen: Principal, conversation_id: str, broker: Broker, limiter: RateLimiter
) -> None:
    async with broker.subscribe(MESSAGE_EVENTS.name(conversation_id)) as events:
        sends = [
            send_message(
                citizen,
                conversation_id,
                "from a bad network",
                client_id="phone-1",
                broker=broker,
                limiter=limiter,
            )
            for _ in range(3)
        ]
        results = [await s for s in sends]
        published = await drain(events)
    assert len({m.id for m in results}) == 1
    assert await Message.filter(conversation_id=conversation_id).count() == 1
    # Each retry publishes again (the first publish may have been lost); the
    # subscribers' streams drop the duplicates by seq.
    assert [event.seq for event in published] == [results[0].seq] * 3


async def test_client_id_reused_in_another_conversation_is_a_conflict(
    citizen: Principal, conversation_id: str, broker: Broker, limiter: RateLimiter
) -> None:
    from subgraphs.chat.conversations import start_direct_conversation

    other = await start_direct_conversation(citizen, ["user-neighbour"])
    await send_message(
        citizen, conversation_id, "a", client_id="c1", broker=broker, limiter=limiter
    )
    with pytest.raises(ClientIdReused) as raised:
        await send_message(
            citizen, str(other.id), "b", client_id="c1", broker=broker, limiter=limiter
        )
    assert raised.value.code == "CONFLICT"


@pytest.mark.parametrize(
    ("text", "attachment"),
    [
        pytest.param("", None, id="empty"),
        pytest.param("   \n", None, id="blank"),
        pytest.param("x" * 5001, None, id="over-long"),
        pytest.param(
            "",
            Attachment(
                AttachmentKind.IMAGE, "https://cdn/x.jpg", 6_000_000, "image/jpeg"
            ),
            id="image-over-5MB",
        ),
        pytest.param(
            "",
            Attachment(
                AttachmentKind.VOICE, "https://cdn/v.ogg", 9000, "audio/ogg", 121
            ),
            id="voice-over-2-minutes",
        ),
        pytest.param(
            "hi",
            Attachment(AttachmentKind.FILE, "ftp://host/f.pdf", 10, "application/pdf"),
            id="not-http-url",
        ),
    ],
)
async def test_bad_messages_are_refused_and_nothing_is_stored_or_published(
    citizen: Principal,
    conversation_id: str,
    broker: Broker,
    limiter: RateLimiter,
    text: str,
    attachment: Attachment | None,
) -> None:
    async with broker.subscribe(MESSAGE_EVENTS.name(conversation_id)) as events:
        with pytest.raises(InvalidMessage) as raised:
            await send_message(
                citizen,
                conversation_id,
                text,
                attachment=attachment,
                broker=broker,
                limiter=limiter,
            )
        published = await drain(events)
    assert raised.value.code == "BAD_USER_INPUT"
    assert await Message.all().count() == 0
    assert published == []


async def test_a_voice_message_within_limits_is_stored_without_text(
    citizen: Principal, conversation_id: str, broker: Broker, limiter: RateLimiter
) -> None:
    voice = Attachment(AttachmentKind.VOICE, "https://cdn/v.ogg", 9000, "audio/ogg", 42)
    message = await send_message(
        citizen, conversation_id, "", attachment=voice, broker=broker, limiter=limiter
    )
    stored = await Message.get(id=message.id)
    assert (stored.attachment_kind, stored.attachment_duration) == ("voice", 42.0)


async def test_a_message_to_a_conversation_the_caller_is_not_in_is_forbidden(
    neighbour: Principal, conversation_id: str, broker: Broker, limiter: RateLimiter
) -> None:
    with pytest.raises(NotAParticipant) as raised:
        await send_message(
            neighbour, conversation_id, "let me in", broker=broker, limiter=limiter
        )
    assert raised.value.code == "FORBIDDEN"
    assert await Message.all().count() == 0


async def test_the_eleventh_message_in_a_minute_is_rate_limited_with_retry_after(
    citizen: Principal, conversation_id: str, broker: Broker, limiter: RateLimiter
) -> None:
    for n in range(10):
        await send_message(
            citizen, conversation_id, f"m{n}", broker=broker, limiter=limiter
        )
    with pytest.raises(MessageRateLimited) as raised:
        await send_message(
            citizen, conversation_id, "one too many", broker=broker, limiter=limiter
        )
    assert raised.value.code == "RATE_LIMITED"
    assert 0 < raised.value.retry_after <= 60
    assert await Message.all().count() == 10


async def test_messages_page_newest_first_with_keyset_cursors(
    citizen: Principal, conversation_id: str, broker: Broker
) -> None:
    from subgraphs.chat.ratelimit import MemoryRateLimiter, Window

    unlimited = MemoryRateLimiter((Window(1000, 60),))
    for n in range(1, 8):
        await send_message(
            citizen, conversation_id, f"m{n}", broker=broker, limiter=unlimited
        )
    page = await list_messages(citizen, conversation_id, first=3)
    assert [m.text for m in page.messages] == ["m7", "m6", "m5"]
    assert page.has_older
    before = decode_cursor(encode_cursor(page.messages[-1].seq))
    older = await list_messages(citizen, conversation_id, first=3, before=before)
    assert [m.text for m in older.messages] == ["m4", "m3", "m2"]
    last = await list_messages(
        citizen, conversation_id, first=3, before=older.messages[-1].seq
    )
    assert [m.text for m in last.messages] == ["m1"]
    assert not last.has_older


def test_a_cursor_not_issued_by_us_is_bad_input() -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor("bm90IGEgY3Vyc29y")


async def test_only_the_sender_edits_and_the_edit_is_published(
    citizen: Principal,
    agent: Principal,
    conversation_id: str,
    broker: Broker,
    limiter: RateLimiter,
) -> None:
    async with broker.subscribe(MESSAGE_EVENTS.name(conversation_id)) as events:
        message = await send_message(
            citizen, conversation_id, "helo", broker=broker, limiter=limiter
        )
        with pytest.raises(NotYourMessage):
            await edit_message(agent, str(message.id), "hacked", broker=broker)
        edited = await edit_message(citizen, str(message.id), "hello", broker=broker)
        published = await drain(events)
    assert (edited.text, edited.edited) == ("hello", True)
    assert [(e.kind, e.snapshot.text) for e in published] == [
        ("added", "helo"),
        ("edited", "hello"),
    ]


async def test_delete_leaves_a_tombstone_without_text(
    citizen: Principal, conversation_id: str, broker: Broker, limiter: RateLimiter
) -> None:
    message = await send_message(
        citizen, conversation_id, "oops", broker=broker, limiter=limiter
    )
    await delete_message(citizen, str(message.id), broker=broker)
    stored = await Message.get(id=message.id)
    assert (stored.deleted, stored.text) == (True, "")


async def test_a_reaction_is_stored_once_per_user_and_emoji(
    citizen: Principal,
    agent: Principal,
    conversation_id: str,
    broker: Broker,
    limiter: RateLimiter,
) -> None:
    message = await send_message(
        citizen, conversation_id, "thanks", broker=broker, limiter=limiter
    )
    for _ in range(2):
        await react(agent, str(message.id), "👍", broker=broker)
    await react(citizen, str(message.id), "👍🏽", broker=broker)
    assert await Reaction.filter(message_id=message.id).count() == 2
    await unreact(agent, str(message.id), "👍", broker=broker)
    assert await Reaction.filter(message_id=message.id).count() == 1


async def test_a_reaction_that_is_not_an_emoji_is_refused(
    citizen: Principal, conversation_id: str, broker: Broker, limiter: RateLimiter
) -> None:
    message = await send_message(
        citizen, conversation_id, "hi", broker=broker, limiter=limiter
    )
    with pytest.raises(InvalidEmoji):
        await react(citizen, str(message.id), "lol", broker=broker)
    assert await Reaction.all().count() == 0


async def test_pinning_a_message_publishes_pinned(
    citizen: Principal, conversation_id: str, broker: Broker, limiter: RateLimiter
) -> None:
    async with broker.subscribe(MESSAGE_EVENTS.name(conversation_id)) as events:
        message = await send_message(
            citizen, conversation_id, "address: road 12", broker=broker, limiter=limiter
        )
        await pin_message(citizen, str(message.id), True, broker=broker)
        published = await drain(events)
    assert [(e.kind, e.snapshot.pinned) for e in published] == [
        ("added", False),
        ("pinned", True),
    ]


async def test_a_message_outside_the_callers_conversations_is_not_found(
    citizen: Principal,
    neighbour: Principal,
    conversation_id: str,
    broker: Broker,
    limiter: RateLimiter,
) -> None:
    message = await send_message(
        citizen, conversation_id, "private", broker=broker, limiter=limiter
    )
    with pytest.raises(MessageNotFound):
        await react(neighbour, str(message.id), "👍", broker=broker)


async def test_concurrent_sends_get_distinct_consecutive_seqs(
    citizen: Principal, agent: Principal, conversation_id: str, broker: Broker
) -> None:
    from subgraphs.chat.ratelimit import MemoryRateLimiter, Window

    unlimited = MemoryRateLimiter((Window(1000, 60),))
    sent = await asyncio.gather(
        *(
            send_message(
                (citizen, agent)[n % 2],
                conversation_id,
                f"m{n}",
                broker=broker,
                limiter=unlimited,
            )
            for n in range(12)
        )
    )
    assert sorted(m.seq for m in sent) == list(range(1, 13))


async def test_concurrent_retries_of_one_send_store_one_message(
    citizen: Principal, conversation_id: str, broker: Broker, limiter: RateLimiter
) -> None:
    sent = await asyncio.gather(
        *(
            send_message(
                citizen,
                conversation_id,
                "once",
                client_id="retry-storm",
                broker=broker,
                limiter=limiter,
            )
            for _ in range(5)
        )
    )
    assert len({m.id for m in sent}) == 1
    assert await Message.filter(conversation_id=conversation_id).count() == 1
