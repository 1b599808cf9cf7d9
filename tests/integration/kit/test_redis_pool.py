"""What subgraphs share in Redis holds under bursts and a hung Redis (real Redis).

redis-py's default pool refused the 101st command in flight at once
(MaxConnectionsError), which every caller reads as "Redis is unavailable": presence
failed a burst of subscriptions, and the login throttle and the user directory,
which fail open, let callers through unchecked. With no socket timeout a hung Redis
held a caller without end. subgraphs.kit.redis_pool makes every such client.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import TYPE_CHECKING

import pytest

from subgraphs.accounts.throttle import Limit, RedisAttemptLog
from subgraphs.chat.errors import RedisUnavailable
from subgraphs.chat.presence import RedisPresence
from subgraphs.kit.errors import BrokerUnavailable
from subgraphs.kit.pubsub import Broker
from subgraphs.kit.redis_pool import POOL_TIMEOUT, SOCKET_TIMEOUT, redis_client
from subgraphs.kit.users import UserDirectory, UserRecord

if TYPE_CHECKING:
    from tests.conftest import PrivateRedis

pytestmark = pytest.mark.integration

# Well past the pool's 100 connections.
BURST = 400


async def test_a_burst_past_the_pool_waits_for_connections_instead_of_failing(
    redis_url: str, redis_prefix: str
) -> None:
    client = redis_client(redis_url + "?max_connections=5")
    try:
        done = await asyncio.gather(
            *(client.set(f"{redis_prefix}{i}", i, ex=60) for i in range(BURST))
        )
        names = await client.client_list()
    finally:
        await client.aclose()
    assert done == [True] * BURST
    # The URL's query sets the pool: never more than five connections.
    assert client.connection_pool.max_connections == 5
    assert len(names) >= 1


async def test_a_burst_of_presence_connects_all_succeed(
    redis_url: str, redis_prefix: str
) -> None:
    presence = RedisPresence(redis_url, prefix=redis_prefix + "presence")
    try:
        first = await asyncio.gather(
            *(presence.connect(f"user-{i}", f"conn-{i}") for i in range(BURST))
        )
        online = await presence.online([f"user-{i}" for i in range(BURST)])
    finally:
        await presence.close()
    # Each user's first connection: everyone came online, nobody was refused.
    assert first == [True] * BURST
    assert set(online.values()) == {True}


async def test_the_login_throttle_holds_for_a_burst_past_the_pool(
    redis_url: str, redis_prefix: str
) -> None:
    client = redis_client(redis_url)
    log = RedisAttemptLog(client, redis_prefix)
    limit = Limit(key="login:agent@agora.dev", limit=10, window=900)
    now = time.time()
    try:
        answers = await asyncio.gather(
            *(log.reserve([limit], uuid.uuid4().hex, now) for _ in range(BURST))
        )
    finally:
        await client.aclose()
    # None: recorded (the password is checked); a number: refused for that long.
    assert answers.count(None) == 10
    assert all(answer is not None and answer > 0 for answer in answers if answer)


async def test_a_removed_user_is_refused_by_a_burst_of_lookups(
    redis_url: str, redis_prefix: str
) -> None:
    client = redis_client(redis_url)
    writer = UserDirectory(redis=client, prefix=redis_prefix)
    reader = UserDirectory(redis=client, prefix=redis_prefix, cache_ttl=0)
    try:
        await writer.replace([UserRecord("active", None), UserRecord("gone", None)])
        await writer.remove("gone")
        found = await asyncio.gather(*(reader.lookup("gone") for _ in range(BURST)))
    finally:
        await client.aclose()
    # None: no such active user (refused); False would be "directory unknown".
    assert found == [None] * BURST


async def test_with_redis_hung_callers_get_an_error_within_the_timeouts(
    private_redis: PrivateRedis,
) -> None:
    presence = RedisPresence(private_redis.url, prefix="hung:presence")
    broker = Broker(private_redis.url, prefix="hung:")
    await broker.connect()
    try:
        assert await presence.connect("user-1", "conn-1") is True
        private_redis.hang()
        started = time.monotonic()
        async with asyncio.timeout(10 * SOCKET_TIMEOUT + POOL_TIMEOUT):
            with pytest.raises(RedisUnavailable):
                await presence.connect("user-2", "conn-2")
            with pytest.raises(BrokerUnavailable):
                await broker.publish("channel", {"n": 1})
        waited = time.monotonic() - started
        private_redis.resume()
        # Back: the next command is answered (the timed-out connection was dropped).
        assert await presence.connect("user-3", "conn-3") is True
    finally:
        private_redis.resume()
        await presence.close()
        await broker.disconnect()
    assert waited < 4 * SOCKET_TIMEOUT + POOL_TIMEOUT
