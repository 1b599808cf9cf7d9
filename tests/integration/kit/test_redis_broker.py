"""The broker on the real Redis: delivery, prefixes, and surviving a dropped link."""

from __future__ import annotations

import asyncio
from typing import Any

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
                # What was published while the link was down is lost: a gap says so.
                assert await events.get() is None
                assert await events.get() == {"n": 2}
            assert events.gaps == 1
            assert backend.reconnects >= 1
            assert await broker.ping()
    finally:
        await admin.aclose()


class FreezableProxy:
    """A TCP proxy to Redis whose open links can go silent, like a lost network
    path: no error, no reset, just nothing. New links work normally."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._links: list[dict[str, Any]] = []

    async def __aenter__(self) -> FreezableProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        for link in self._links:
            for writer in link["writers"]:
                writer.close()

    def freeze(self) -> None:
        for link in self._links:
            link["frozen"] = True

    async def _handle(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(
            "127.0.0.1", self.target_port
        )
        link: dict[str, Any] = {"frozen": False, "writers": [writer, upstream_writer]}
        self._links.append(link)

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            while data := await src.read(65536):
                if not link["frozen"]:
                    dst.write(data)
                    await dst.drain()

        try:
            await asyncio.gather(
                pump(reader, upstream_writer), pump(upstream_reader, writer)
            )
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
            upstream_writer.close()


async def test_subscriber_reconnects_when_the_link_goes_silent(
    redis_url: str, redis_prefix: str
) -> None:
    async with FreezableProxy(6379) as proxy:
        db = redis_url.rsplit("/", 1)[1]
        backend = ResilientRedisBackend(
            f"redis://127.0.0.1:{proxy.port}/{db}", idle_timeout=0.2
        )
        async with (
            Broker(redis_url, prefix=redis_prefix, backend=backend) as broker,
            Broker(redis_url, prefix=redis_prefix) as publisher,
            broker.subscribe("alerts") as events,
        ):
            await publisher.publish("alerts", {"n": 1})
            async with asyncio.timeout(5):
                assert await anext(events) == {"n": 1}
            proxy.freeze()
            async with asyncio.timeout(10):
                await backend.wait_reconnected(1)
            await publisher.publish("alerts", {"n": 2})
            async with asyncio.timeout(5):
                assert await anext(events) == {"n": 2}


async def test_a_redis_broker_lends_its_client_for_shared_state(
    redis_url: str, redis_prefix: str
) -> None:
    assert Broker("memory://").redis is None
    async with Broker(redis_url, prefix=redis_prefix) as broker:
        redis = broker.redis
        assert redis is not None
        key = redis_prefix + "lent"
        await redis.set(key, "1", ex=60)
        assert await redis.get(key) == b"1"
        await redis.delete(key)
