"""The broker on the real Redis: delivery, prefixes, and surviving a dropped link."""

from __future__ import annotations

import asyncio

import pytest
from redis import asyncio as aioredis

from subgraphs.kit._redis_backend import ResilientRedisBackend
from subgraphs.kit.pubsub import Broker

pytestmark = pytest.mark.integration


async def test_events_cross_redis_between_two_brokers(
    redis_url: str, redis_prefix: str
) -> None:
    async with (
        Broker(redis_url, prefix=redis_prefix) as publisher,
        Broker(redis_url, prefix=redis_prefix) as listener,
        listener.subscribe("orders") as events,
    ):
        await publisher.publish("orders", {"id": 1, "lines": [{"sku": "x"}]})
        async with asyncio.timeout(5):
            assert await anext(events) == {"id": 1, "lines": [{"sku": "x"}]}
        assert await listener.ping()


async def test_brokers_with_other_prefixes_do_not_hear_each_other(
    redis_url: str, redis_prefix: str
) -> None:
    async with (
        Broker(redis_url, prefix=redis_prefix + "a:") as a,
        Broker(redis_url, prefix=redis_prefix + "b:") as b,
        b.subscribe("orders") as events,
    ):
        await a.publish("orders", {"from": "a"})
        await b.publish("orders", {"from": "b"})
        async with asyncio.timeout(5):
            assert await anext(events) == {"from": "b"}


async def test_subscriber_keeps_listening_after_redis_kills_its_connection(
    redis_url: str, redis_prefix: str
) -> None:
    admin = aioredis.Redis.from_url(redis_url)
    try:
        async with (
            Broker(redis_url, prefix=redis_prefix) as broker,
            broker.subscribe("alerts") as events,
        ):
            backend = broker.backend
            assert isinstance(backend, ResilientRedisBackend)
            await broker.publish("alerts", {"n": 1})
            async with asyncio.timeout(5):
                assert await anext(events) == {"n": 1}

            # Kill only our subscriber link (others' tests share this Redis).
            clients = await admin.client_list(_type="pubsub")
            ours = [c for c in clients if c.get("name") == backend.client_name]
            assert len(ours) == 1
            assert await admin.client_kill_filter(_id=ours[0]["id"]) == 1

            async with asyncio.timeout(10):
                await backend.wait_reconnected(1)
            await broker.publish("alerts", {"n": 2})
            async with asyncio.timeout(5):
                assert await anext(events) == {"n": 2}
            assert backend.reconnects >= 1
            assert await broker.ping()
    finally:
        await admin.aclose()
