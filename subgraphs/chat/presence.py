"""Who is online: a user is online while at least one of their connections is open.

Every open subscription counts as a connection. In memory the count is per process; with
Redis each connection is a member of the user's sorted set, scored by when it expires,
and a heartbeat keeps the scores of live connections fresh, so a crashed process's
connections expire on their own. A change (first connection opened, last one closed)
is published on the PRESENCE channel of the broker, shared across processes by Redis.

Expiry is reported by a sweeper (`sweep_presence`), not by Redis keyspace
notifications: those are off unless the server is reconfigured (CONFIG SET, often
refused by managed Redis), are lost by a process not listening at that instant,
fire only when Redis gets round to evicting a key, and never fire for a stale member
of a sorted set. Instead an index sorted set holds each online user's latest expiry;
every process sweeps the users past it, and a Lua script decides atomically, so one
process (and only one) publishes each `offline`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import TYPE_CHECKING, Protocol

from redis.exceptions import RedisError

from subgraphs.chat.errors import RedisUnavailable
from subgraphs.chat.events import PRESENCE, PresenceChanged
from subgraphs.kit.errors import AgoraGraphQLError
from subgraphs.kit.redis_pool import redis_client

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from redis.asyncio import Redis

    from subgraphs.kit.pubsub import Broker

__all__ = [
    "MemoryPresence",
    "Presence",
    "RedisPresence",
    "connected",
    "publish_expired",
    "sweep_presence",
]

logger = logging.getLogger("agora.subgraphs")


class Presence(Protocol):
    async def connect(self, user_id: str, connection_id: str) -> bool:
        """Record an open connection; True when the user just came online."""

    async def disconnect(self, user_id: str, connection_id: str) -> bool:
        """Forget a connection; True when the user just went offline."""

    async def online(self, user_ids: list[str]) -> dict[str, bool]: ...

    async def expire(self) -> list[str]:
        """Forget connections past their expiry; the users who thereby went offline.

        Each such user is returned once, by one caller across all processes.
        """

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

    async def expire(self) -> list[str]:
        # Connections in memory end with their process: none outlives its socket.
        return []

    async def close(self) -> None:
        self._connections.clear()


# KEYS: the user's set, the expiry index. ARGV: now, expires_at, connection id, user
# id. Returns the live connections before (connect) or after (disconnect) the change.
_CONNECT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local before = redis.call('ZCARD', KEYS[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('PEXPIREAT', KEYS[1], math.ceil(tonumber(ARGV[2]) * 1000))
redis.call('ZADD', KEYS[2], 'GT', ARGV[2], ARGV[4])
return before
"""
_DISCONNECT = """
local removed = redis.call('ZREM', KEYS[1], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if removed == 0 then return -1 end
local left = redis.call('ZCARD', KEYS[1])
if left == 0 then redis.call('ZREM', KEYS[2], ARGV[4]) end
return left
"""
# KEYS: the expiry index, the user's set. ARGV: now, user id. 1 when this call took
# the user offline: their index entry was due and no live connection is left.
_EXPIRE = """
local at = redis.call('ZSCORE', KEYS[1], ARGV[2])
if not at or tonumber(at) > tonumber(ARGV[1]) then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
local live = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if live[2] then
  redis.call('ZADD', KEYS[1], live[2], ARGV[2])
  return 0
end
redis.call('ZREM', KEYS[1], ARGV[2])
return 1
"""
# Users looked at per sweep; the rest wait for the next one.
_EXPIRE_BATCH = 500


class RedisPresence:
    """Presence shared by every process on the same Redis and key prefix."""

    def __init__(
        self,
        redis_url: str,
        *,
        prefix: str = "agora:chat:presence",
        ttl: float = 30.0,
        clock: Callable[[], float] = time.time,
        client_name: str | None = None,
    ) -> None:
        self.prefix = prefix
        self.ttl = ttl
        # Wall-clock seconds shared by every process on the Redis (a test may shift it).
        self.clock = clock
        self._redis: Redis = redis_client(redis_url, client_name=client_name)
        self._connect = self._redis.register_script(_CONNECT)
        self._disconnect = self._redis.register_script(_DISCONNECT)
        self._expire = self._redis.register_script(_EXPIRE)
        # Not under `prefix:`, so no user id can name the same key.
        self._index = f"{prefix}.expiries"
        self._local: dict[str, set[str]] = {}
        self._heartbeat: asyncio.Task[None] | None = None

    def _key(self, user_id: str) -> str:
        return f"{self.prefix}:{user_id}"

    async def connect(self, user_id: str, connection_id: str) -> bool:
        now = self.clock()
        try:
            before = await self._connect(
                keys=[self._key(user_id), self._index],
                args=[now, now + self.ttl, connection_id, user_id],
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
                keys=[self._key(user_id), self._index],
                args=[self.clock(), 0, connection_id, user_id],
            )
        except RedisError as exc:
            raise RedisUnavailable("presence") from exc
        return int(left) == 0

    async def online(self, user_ids: list[str]) -> dict[str, bool]:
        if not user_ids:
            return {}
        now = self.clock()
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for user_id in user_ids:
                    pipe.zcount(self._key(user_id), f"({now}", "+inf")
                counts = await pipe.execute()
        except RedisError as exc:
            raise RedisUnavailable("presence") from exc
        return {u: int(c) > 0 for u, c in zip(user_ids, counts, strict=True)}

    async def expire(self) -> list[str]:
        now = self.clock()
        try:
            due = await self._redis.zrangebyscore(
                self._index, "-inf", now, start=0, num=_EXPIRE_BATCH
            )
            gone = []
            for raw in due:
                user_id = raw.decode() if isinstance(raw, bytes) else str(raw)
                if await self._expire(
                    keys=[self._index, self._key(user_id)], args=[now, user_id]
                ):
                    gone.append(user_id)
        except RedisError as exc:
            raise RedisUnavailable("presence") from exc
        return gone

    async def _beat(self) -> None:
        # Refresh this process's connections well before they expire.
        while self._local:
            await asyncio.sleep(self.ttl / 3)
            expires_at = self.clock() + self.ttl
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for user_id, connections in list(self._local.items()):
                        for connection_id in connections:
                            pipe.zadd(self._key(user_id), {connection_id: expires_at})
                        pipe.pexpireat(self._key(user_id), int(expires_at * 1000) + 1)
                        pipe.zadd(self._index, {user_id: expires_at}, gt=True)
                    await pipe.execute()
            except RedisError:
                # The next beat retries; entries live `ttl`, three beats.
                logger.warning("presence heartbeat failed", exc_info=True)
            _raise_if_cancelling()

    async def close(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        await self._redis.aclose()


def _raise_if_cancelling() -> None:
    """Re-raise a cancellation that a Redis call swallowed.

    A task cancelled in the middle of a redis-py command can see the command return
    or fail instead of CancelledError (seen at shutdown with redis 8.1): a loop that
    carried on would outlive the shutdown that cancelled it, and hang it.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


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


async def publish_expired(presence: Presence, broker: Broker) -> list[str]:
    """Publish `offline` for each user whose connections all expired; returns them."""
    gone = await presence.expire()
    for user_id in gone:
        await PRESENCE.publish(broker, PresenceChanged(user_id=user_id, online=False))
    return gone


async def sweep_presence(
    presence: Presence, broker: Broker, *, interval: float
) -> None:
    """Run publish_expired every `interval` seconds until cancelled.

    Redis errors are logged and the next sweep tries again: an `offline` comes late
    rather than never (the index entry stays until a sweep takes it).
    """
    while True:
        try:
            await publish_expired(presence, broker)
        except AgoraGraphQLError:
            logger.warning("presence sweep failed", exc_info=True)
        _raise_if_cancelling()
        await asyncio.sleep(interval)
