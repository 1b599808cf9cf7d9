"""Failed-login throttling, per (email, client address) with a looser per-email ceiling.

Counting per email alone let anyone lock a victim out by typing wrong passwords for
the victim's address. So the tight limit (`max_failures_per_client`, 10 in 15 min)
counts the failures of one email from one client address: an attacker locks out
only themselves. The per-email ceiling (`max_failures_per_email`, 100) still caps a
guessing attack spread over many addresses; only such an attack can lock an email.
A successful login clears its (email, address) count, never the ceiling, so a victim
logging in does not hand the attacker a fresh budget.

Failures are kept in a FailureLog: in memory (one process) or in Redis, shared by
every accounts replica, when REDIS_URL is set (see `LoginThrottle.for_broker`).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from redis.exceptions import RedisError

from subgraphs.kit.errors import RateLimited

if TYPE_CHECKING:
    from collections.abc import Callable

    from redis import asyncio as aioredis

    from subgraphs.kit.pubsub import Broker

logger = logging.getLogger("agora.subgraphs")

# Keys tracked in memory at most; the least recently failed is forgotten first.
MAX_TRACKED = 100_000
# Failures kept per key at most (no limit is higher).
MAX_PER_KEY = 1000


class FailureLog(Protocol):
    """Timestamps of failed logins by key, within a sliding window."""

    async def recent(self, key: str, since: float) -> list[float]:
        """The key's failures after `since`, oldest first (older ones are dropped)."""
        ...

    async def add(self, key: str, at: float, window: float) -> None:
        """Record a failure of `key` at `at`, kept at least `window` seconds."""
        ...

    async def clear(self, key: str) -> None:
        """Forget every failure of `key`."""
        ...


@dataclass
class MemoryFailureLog:
    """Failures in this process's memory (the embedded default)."""

    _failures: dict[str, deque[float]] = field(default_factory=dict, repr=False)

    async def recent(self, key: str, since: float) -> list[float]:
        failures = self._failures.get(key)
        if failures is None:
            return []
        while failures and failures[0] <= since:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return list(failures)

    async def add(self, key: str, at: float, window: float) -> None:
        failures = self._failures.pop(key, None) or deque(maxlen=MAX_PER_KEY)
        failures.append(at)
        self._failures[key] = failures  # most recently failed last
        while len(self._failures) > MAX_TRACKED:
            del self._failures[next(iter(self._failures))]

    async def clear(self, key: str) -> None:
        self._failures.pop(key, None)


class RedisFailureLog:
    """Failures in Redis sorted sets (score = time), shared by every replica.

    Redis unreachable: the failure is logged and logins go unthrottled rather than
    all refused; an outage must not lock everyone out.
    """

    def __init__(self, redis: aioredis.Redis, prefix: str = "agora:") -> None:
        self.redis = redis
        self.prefix = prefix + "accounts:login-failures:"

    async def recent(self, key: str, since: float) -> list[float]:
        name = self.prefix + key
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.zremrangebyscore(name, "-inf", since)
                pipe.zrange(name, 0, -1, withscores=True)
                _, members = await pipe.execute()
        except (RedisError, OSError) as error:
            logger.warning("login throttle: Redis unavailable, not enforced: %s", error)
            return []
        return [float(score) for _, score in members]

    async def add(self, key: str, at: float, window: float) -> None:
        name = self.prefix + key
        # A unique member per failure: two failures in one clock tick both count.
        member = f"{at!r}:{uuid.uuid4().hex[:12]}"
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.zadd(name, {member: at})
                pipe.expire(name, math.ceil(window) + 1)
                await pipe.execute()
        except (RedisError, OSError) as error:
            logger.warning("login throttle: failure not recorded: %s", error)

    async def clear(self, key: str) -> None:
        try:
            await self.redis.delete(self.prefix + key)
        except (RedisError, OSError) as error:
            logger.warning("login throttle: failures not cleared: %s", error)


def _key(kind: str, *parts: str) -> str:
    # Hashed: no email or address in Redis keys, and a bounded key length.
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]
    return f"{kind}:{digest}"


@dataclass
class LoginThrottle:
    """At most `max_failures_per_client` failed logins per (email, client address)
    and `max_failures_per_email` per email, each within `window` seconds."""

    failures: FailureLog = field(default_factory=MemoryFailureLog)
    max_failures_per_client: int = 10
    max_failures_per_email: int = 100
    window: float = 900.0
    # Wall time: replicas sharing Redis must agree on it.
    clock: Callable[[], float] = time.time

    @classmethod
    def for_broker(cls, broker: Broker | None) -> LoginThrottle:
        """Shared through the broker's Redis when there is one, in memory otherwise."""
        redis = broker.redis if broker is not None else None
        if redis is None or broker is None:
            return cls()
        return cls(RedisFailureLog(redis, broker.prefix))

    async def check(self, email: str, client: str) -> None:
        """Raise RateLimited (with `retry_after`) while this email is locked out for
        this client, or for everyone."""
        since = self.clock() - self.window
        for key, limit in self._limits(email, client):
            failures = await self.failures.recent(key, since)
            if len(failures) >= limit:
                # Allowed again once enough of the oldest failures left the window.
                unlocks_at = failures[len(failures) - limit] + self.window
                raise RateLimited(
                    "Too many failed logins; try again later.",
                    retry_after=round(max(unlocks_at - self.clock(), 0.0), 1),
                )

    async def record_failure(self, email: str, client: str) -> None:
        at = self.clock()
        for key, _ in self._limits(email, client):
            await self.failures.add(key, at, self.window)

    async def reset(self, email: str, client: str) -> None:
        """After a successful login: clear this client's count for the email."""
        await self.failures.clear(_key("client", email, client))

    def _limits(self, email: str, client: str) -> tuple[tuple[str, int], ...]:
        return (
            (_key("client", email, client), self.max_failures_per_client),
            (_key("email", email), self.max_failures_per_email),
        )
