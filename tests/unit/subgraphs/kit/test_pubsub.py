"""The in-memory broker: JSON round trip, channel isolation, bounded queues."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from subgraphs.kit.errors import BrokerUnavailable
from subgraphs.kit.pubsub import Broker, Channel


@dataclass(frozen=True)
class Posted:
    conversation_id: str
    text: str


POSTED = Channel("chat.messages", Posted)


async def test_subscriber_receives_published_dicts_after_a_json_round_trip() -> None:
    async with Broker() as broker, broker.subscribe("news") as events:
        await broker.publish("news", {"n": 1, "tags": ("a", "b")})
        await broker.publish("other", {"n": 2})
        await broker.publish("news", {"n": 3})
        received = [await anext(events), await anext(events)]
    assert received == [{"n": 1, "tags": ["a", "b"]}, {"n": 3}]


async def test_every_subscriber_of_a_channel_gets_each_event() -> None:
    async with (
        Broker() as broker,
        broker.subscribe("news") as first,
        broker.subscribe("news") as second,
    ):
        await broker.publish("news", {"n": 1})
        assert await anext(first) == {"n": 1}
        assert await anext(second) == {"n": 1}


async def test_full_queue_drops_the_oldest_event_and_counts_it() -> None:
    async with Broker(queue_size=3) as broker, broker.subscribe("news") as events:
        for n in range(5):
            await broker.publish("news", {"n": n})
        # A marker on a second channel proves the listener handled all five.
        async with broker.subscribe("marker") as marker:
            await broker.publish("marker", {})
            await anext(marker)
        received = [await anext(events) for _ in range(3)]
        assert received == [{"n": 2}, {"n": 3}, {"n": 4}]
        assert events.dropped == 2
        assert broker.dropped == 2


async def test_subscription_ends_when_the_broker_disconnects() -> None:
    broker = Broker()
    await broker.connect()
    async with broker.subscribe("news") as events:
        waiting = asyncio.ensure_future(anext(events, None))
        await asyncio.sleep(0)
        await broker.disconnect()
        assert await waiting is None


async def test_typed_channel_names_by_ids_and_decodes_payloads() -> None:
    assert POSTED.name("c1") == "chat.messages.c1"
    async with Broker() as broker:
        stream = POSTED.subscribe(broker, "c1")
        first = asyncio.ensure_future(anext(stream))
        while "chat.messages.c1" not in broker._subscribers:
            await asyncio.sleep(0)
        await POSTED.publish(broker, "c2", Posted("c2", "elsewhere"))
        await POSTED.publish(broker, "c1", Posted("c1", "hello"))
        assert await first == Posted("c1", "hello")
        await stream.aclose()


async def test_channel_publish_needs_a_payload() -> None:
    async with Broker() as broker:
        with pytest.raises(TypeError):
            await POSTED.publish(broker)


def test_unknown_broker_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="memory:// or redis://"):
        Broker("kafka://x")


async def test_unreachable_redis_is_not_ready_and_publishing_fails_cleanly() -> None:
    # Port 1 on localhost refuses connections: Redis is "down".
    async with Broker("redis://127.0.0.1:1/0", prefix="agora-test:") as broker:
        assert not await broker.ping()
        with pytest.raises(BrokerUnavailable) as caught:
            await broker.publish("news", {"n": 1})
    assert caught.value.extensions == {"code": "SERVICE_UNAVAILABLE", "retryable": True}
