"""Who is online: a user is online while at least one of their connections is open.

Every open subscription counts as a connection. In memory the count is per process; with
Redis each connection is a member of the user's sorted set, scored by when it expires,
and a heartbeat keeps the scores of live connections fresh, so a crashed process's
connections expire on their own. A change (first connection opened, last one closed)
is published on the PRESENCE channel of the broker, shared across processes by Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import TYPE_CHECKING, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from subgraphs.kit.errors import AgoraGraphQLError

from .errors import RedisUnavailable
from .events import PRESENCE, PresenceChanged

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from subgraphs.kit.pubsub import Broker

__all__ = ["MemoryPresence", "Presence", "RedisPresence", "connected"]

logger = logging.getLogger("agora.subgraphs")


class Presence(Protocol):
    async def connect(self, user_id: str, connection_id: str) -> bool:
        """Record an open connection; True when the user just came online."""

    async def disconnect(self, user_id: str, connection_id: str) -> bool:
        """Forget a connection; True when the user just went offline."""

    async def online(self, user_ids: list[str]) -> dict[str, bool]: ...

    async def close(self) -> None: ...


class MemoryPresence:
    """Presence within one process (the embedded mode)."""

    def __init__(self) -> None:
        self._connections: dict[str, set[str]] = {}

    async def connect(self, user_id: str, connection_id: str) -> bool:
        connections = self._connections.setdefault(user_id, set())
        connections.add(connection_id)
        return len(connections) == 1

    async def disconnect(self, user_id: str, connection_id: str) -> bool:
        connections = self._connections.get(user_id)
        if not connections or connection_id not in connections:
            return False
        connections.discard(connection_id)
        if connections:
            return False
        del self._connections[user_id]
        return True

    async def online(self, user_ids: list[str]) -> dict[str, bool]:
        return {u: bool(self._connections.get(u)) for u in user_ids}

    async def close(self) -> None:
        self._connections.clear()


# KEYS[1] the user's set; ARGV: now, expires_at, connection id. Returns the live
# connections before (connect) or after (disconnect) the change.
_CONNECT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local before = redis.call('ZCARD', KEYS[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('PEXPIREAT', KEYS[1], math.ceil(tonumber(ARGV[2]) * 1000))
return before
"""
_DISCONNECT = """
local removed = redis.call('ZREM', KEYS[1], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if removed == 0 then return -1 end
return redis.call('ZCARD', KEYS[1])
"""


class RedisPresence:
    """Presence shared by every process on the same Redis and key prefix."""

    def __init__(
        self, redis_url: str, *, prefix: str = "agora:chat:presence", ttl: float = 30.0
    ) -> None:
        self.prefix = prefix
        self.ttl = ttl
        self._redis: Redis = Redis.from_url(redis_url)
        self._connect = self._redis.register_script(_CONNECT)
        self._disconnect = self._redis.register_script(_DISCONNECT)
        self._local: dict[str, set[str]] = {}
        self._heartbeat: asyncio.Task[None] | None = None

    def _key(self, user_id: str) -> str:
        return f"{self.prefix}:{user_id}"

    async def connect(self, user_id: str, connection_id: str) -> bool:
        now = time.time()
        try:
            before = await self._connect(
                keys=[self._key(user_id)], args=[now, now + self.ttl, connection_id]
            )
        except RedisError as exc:
            raise RedisUnavailable("presence") from exc
        self._local.setdefault(user_id, set()).add(connection_id)
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.create_task(self._beat())
        return int(before) == 0

    async def disconnect(self, user_id: str, connection_id: str) -> bool:
        local = self._local.get(user_id)
        if local is not None:
            local.discard(connection_id)
            if not local:
                del self._local[user_id]
        try:
            left = await self._disconnect(
                keys=[self._key(user_id)], args=[time.time(), 0, connection_id]
            )
        except RedisError as exc:
            raise RedisUnavailable("presence") from exc
        return int(left) == 0

    async def online(self, user_ids: list[str]) -> dict[str, bool]:
        if not user_ids:
            return {}
        now = time.time()
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for user_id in user_ids:
                    pipe.zcount(self._key(user_id), f"({now}", "+inf")
                counts = await pipe.execute()
        except RedisError as exc:
            raise RedisUnavailable("presence") from exc
        return {u: int(c) > 0 for u, c in zip(user_ids, counts, strict=True)}

    async def _beat(self) -> None:
        # Refresh this process's connections well before they expire.
        while self._local:
            await asyncio.sleep(self.ttl / 3)
            expires_at = time.time() + self.ttl
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for user_id, connections in list(self._local.items()):
                        for connection_id in connections:
                            pipe.zadd(self._key(user_id), {connection_id: expires_at})
                        pipe.pexpireat(self._key(user_id), int(expires_at * 1000) + 1)
                    await pipe.execute()
            except RedisError:
                # The next beat retries; entries live `ttl`, three beats.
                logger.warning("presence heartbeat failed", exc_info=True)

    async def close(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        await self._redis.aclose()


@contextlib.asynccontextmanager
async def connected(
    presence: Presence, broker: Broker, user_id: str
) -> AsyncIterator[None]:
    """Count one open connection of `user_id` for the duration of the block."""
    connection_id = uuid.uuid4().hex
    if await presence.connect(user_id, connection_id):
        await PRESENCE.publish(broker, PresenceChanged(user_id=user_id, online=True))
    try:
        yield
    finally:
        # Shielded: a closing socket cancels the subscription, the user still leaves.
        await asyncio.shield(_leave(presence, broker, user_id, connection_id))


async def _leave(
    presence: Presence, broker: Broker, user_id: str, connection_id: str
) -> None:
    try:
        if await presence.disconnect(user_id, connection_id):
            await PRESENCE.publish(
                broker, PresenceChanged(user_id=user_id, online=False)
            )
    except AgoraGraphQLError:
        # The socket is gone: nobody to tell. The Redis entry expires by itself.
        logger.warning("could not record %s going offline", user_id, exc_info=True)
