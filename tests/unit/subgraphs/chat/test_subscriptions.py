"""Live streams: replay without gap or duplicate, typing that expires, presence."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, TypeVar

import pytest

from subgraphs.chat import messages as messages_module
from subgraphs.chat.conversations import mark_read
from subgraphs.chat.events import MessageEventKind
from subgraphs.chat.messages import edit_message, publish_message_event, send_message
from subgraphs.chat.presence import connected
from subgraphs.chat.subscriptions import (
    message_events,
    presence_updates,
    receipt_updates,
    typing_updates,
)
from subgraphs.chat.typing_indicators import set_typing
from subgraphs.kit.pubsub import Broker

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from subgraphs.chat.presence import Presence
    from subgraphs.chat.ratelimit import RateLimiter
    from subgraphs.kit.principal import Principal

T = TypeVar("T")


async def next_of(stream: AsyncIterator[T], timeout: float = 2.0) -> T:
    return await asyncio.wait_for(anext(stream), timeout)


async def test_replay_after_a_cursor_then_live_without_gap_or_duplicate(
    citizen: Principal,
    agent: Principal,
    conversation_id: str,
    broker: Broker,
    limiter: RateLimiter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Small replay batches let a message land between two batches of the replay.
    monkeypatch.setattr(messages_module, "_REPLAY_BATCH", 2)
    for n in range(1, 6):
        await send_message(
            agent, conversation_id, f"m{n}", broker=broker, limiter=limiter
        )
    stream = message_events(citizen, conversation_id, broker=broker, after=2)
    seen = [await next_of(stream)]
    # Stored after the subscription began and before the replay reached it: it is
    # both replayed and heard live, and must come out once.
    await send_message(agent, conversation_id, "m6", broker=broker, limiter=limiter)
    seen += [await next_of(stream) for _ in range(3)]
    await send_message(agent, conversation_id, "m7", broker=broker, limiter=limiter)
    seen.append(await next_of(stream))
    await stream.aclose()
    assert [(e.kind, e.seq, e.snapshot.text) for e in seen] == [
        ("added", 3, "m3"),
        ("added", 4, "m4"),
        ("added", 5, "m5"),
        ("added", 6, "m6"),
        ("added", 7, "m7"),
    ]


async def test_a_message_whose_event_was_lost_is_read_from_the_store_in_order(
    citizen: Principal,
    agent: Principal,
    conversation_id: str,
    broker: Broker,
    limiter: RateLimiter,
) -> None:
    await send_message(agent, conversation_id, "m0", broker=broker, limiter=limiter)
    stream = message_events(citizen, conversation_id, broker=broker, after=0)
    await next_of(stream)  # m0, replayed: the stream is listening
    # A broker nobody listens to stands for a publish that was lost.
    async with Broker("memory://", prefix="elsewhere:") as lost:
        await send_message(agent, conversation_id, "m1", broker=lost, limiter=limiter)
    await send_message(agent, conversation_id, "m2", broker=broker, limiter=limiter)
    seen = [await next_of(stream), await next_of(stream)]
    await stream.aclose()
    assert [(e.seq, e.snapshot.text) for e in seen] == [(2, "m1"), (3, "m2")]


async def test_events_heard_late_or_twice_are_delivered_in_seq_order_once(
    citizen: Principal,
    agent: Principal,
    conversation_id: str,
    broker: Broker,
    limiter: RateLimiter,
) -> None:
    sent = []
    async with Broker("memory://", prefix="elsewhere:") as held:
        for text in ("m1", "m2"):
            sent.append(
                await send_message(
                    agent, conversation_id, text, broker=held, limiter=limiter
                )
            )
        stream = message_events(citizen, conversation_id, broker=broker, after=0)
        seen = [await next_of(stream), await next_of(stream)]  # replayed: listening
        # m3's event is late (held back): m4 is heard first.
        sent.append(
            await send_message(
                agent, conversation_id, "m3", broker=held, limiter=limiter
            )
        )
    sent.append(
        await send_message(agent, conversation_id, "m4", broker=broker, limiter=limiter)
    )
    seen += [await next_of(stream), await next_of(stream)]
    for message in sent:  # every event heard again, m3's at last
        await publish_message_event(broker, MessageEventKind.ADDED, message, "x")
    await send_message(agent, conversation_id, "m5", broker=broker, limiter=limiter)
    seen.append(await next_of(stream))
    await stream.aclose()
    assert [(e.seq, e.snapshot.text) for e in seen] == [
        (1, "m1"),
        (2, "m2"),
        (3, "m3"),
        (4, "m4"),
        (5, "m5"),
    ]


async def test_live_events_include_edits(
    citizen: Principal,
    agent: Principal,
    conversation_id: str,
    broker: Broker,
    limiter: RateLimiter,
) -> None:
    sent = await send_message(
        agent, conversation_id, "helo", broker=broker, limiter=limiter
    )
    stream = message_events(citizen, conversation_id, broker=broker, after=0)
    added = await next_of(stream)  # replayed, so the stream is listening by now
    await edit_message(agent, str(sent.id), "hello", broker=broker)
    edited = await next_of(stream)
    await stream.aclose()
    assert [(added.kind, added.snapshot.text), (edited.kind, edited.snapshot.text)] == [
        ("added", "helo"),
        ("edited", "hello"),
    ]


async def test_typing_indicator_expires_by_itself(
    citizen: Principal, agent: Principal, conversation_id: str, broker: Broker
) -> None:
    stream = typing_updates(citizen, conversation_id, broker=broker)
    assert await next_of(stream) == []
    await set_typing(agent, conversation_id, True, broker=broker, ttl=0.3)
    started = await next_of(stream)
    loop = asyncio.get_running_loop()
    at = loop.time()
    expired = await next_of(stream)
    waited = loop.time() - at
    await stream.aclose()
    assert (started, expired) == ([agent.user_id], [])
    assert waited >= 0.2


async def test_stopping_typing_clears_the_indicator_and_own_typing_is_not_shown(
    citizen: Principal, agent: Principal, conversation_id: str, broker: Broker
) -> None:
    stream = typing_updates(citizen, conversation_id, broker=broker)
    assert await next_of(stream) == []
    await set_typing(citizen, conversation_id, True, broker=broker)
    await set_typing(agent, conversation_id, True, broker=broker)
    await set_typing(agent, conversation_id, False, broker=broker)
    assert await next_of(stream) == [agent.user_id]
    assert await next_of(stream) == []
    await stream.aclose()


async def test_presence_goes_online_with_the_first_connection_and_offline_with_the_last(
    citizen: Principal, broker: Broker, presence: Presence
) -> None:
    stream = presence_updates(
        citizen, [citizen.user_id], broker=broker, presence=presence
    )
    initial = await next_of(stream)
    async with connected(presence, broker, citizen.user_id):
        online = await next_of(stream)
        async with connected(presence, broker, citizen.user_id):
            assert (await presence.online([citizen.user_id])) == {citizen.user_id: True}
        assert (await presence.online([citizen.user_id])) == {citizen.user_id: True}
    offline = await next_of(stream)
    await stream.aclose()
    assert [(e.user_id, e.online) for e in (initial, online, offline)] == [
        (citizen.user_id, False),
        (citizen.user_id, True),
        (citizen.user_id, False),
    ]


async def test_receipts_stream_starts_with_the_cursors_then_moves(
    citizen: Principal,
    agent: Principal,
    conversation_id: str,
    broker: Broker,
    limiter: RateLimiter,
) -> None:
    sent = await send_message(
        agent, conversation_id, "hi", broker=broker, limiter=limiter
    )
    stream = receipt_updates(agent, conversation_id, broker=broker)
    first = [await next_of(stream), await next_of(stream)]
    await mark_read(citizen, conversation_id, str(sent.id), broker=broker)
    moved = await next_of(stream)
    await stream.aclose()
    assert sorted((r.user_id, r.read_seq) for r in first) == [
        (agent.user_id, 1),
        (citizen.user_id, 0),
    ]
    assert (moved.user_id, moved.read_seq) == (citizen.user_id, 1)


@pytest.mark.integration
async def test_redis_presence_is_shared_by_processes_and_counts_connections(
    redis_url: str, redis_prefix: str
) -> None:
    from subgraphs.chat.presence import RedisPresence

    one = RedisPresence(redis_url, prefix=redis_prefix)
    two = RedisPresence(redis_url, prefix=redis_prefix)
    try:
        assert await one.connect("u", "c1") is True
        assert await two.connect("u", "c2") is False
        assert await two.online(["u", "v"]) == {"u": True, "v": False}
        assert await one.disconnect("u", "c1") is False
        assert await two.disconnect("u", "c2") is True
        assert await one.online(["u"]) == {"u": False}
    finally:
        await one.close()
        await two.close()


async def test_subscribing_to_a_conversation_of_others_is_refused(
    neighbour: Principal, conversation_id: str, broker: Broker
) -> None:
    from subgraphs.chat.errors import NotAParticipant

    stream = message_events(neighbour, conversation_id, broker=broker)
    with pytest.raises(NotAParticipant):
        await next_of(stream)
