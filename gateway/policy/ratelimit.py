"""Rate limits: GCRA (the generic cell rate algorithm), in memory or shared in Redis.

A limit is `limit` units per `period` seconds with bursts of up to `burst` units. Each
key keeps one number, its theoretical arrival time (TAT): a request of `amount` units
moves it `amount * period / limit` seconds on, and is refused when that would put it
more than `burst * period / limit` seconds ahead of now. There are no windows whose
edges a client can time, and Redis keeps one short-lived string per key, updated
atomically by one script (using Redis's own clock, so gateway instances with skewed
clocks agree).
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from redis.exceptions import RedisError

if TYPE_CHECKING:
    from collections.abc import Callable

    from redis.asyncio import Redis

    from ..config import RateLimit

__all__ = [
    "MemoryRateLimiter",
    "RateDecision",
    "RateLimiter",
    "RedisRateLimiter",
]

logger = logging.getLogger("agora.gateway")

# Seconds of float rounding forgiven: a burst of exactly `burst` always passes.
_EPSILON = 1e-6


@dataclass(frozen=True, slots=True)
class RateDecision:
    """Whether a request may go on, and if not, in how many seconds it could."""

    allowed: bool
    retry_after: float = 0.0


class RateLimiter(Protocol):
    async def acquire(
        self, key: str, limit: RateLimit, amount: int = 1
    ) -> RateDecision: ...


def _intervals(limit: RateLimit, amount: int) -> tuple[float, float]:
    """(increment, capacity) in seconds for `amount` units under `limit`."""
    interval = limit.period / limit.limit
    burst = limit.burst if limit.burst is not None else limit.limit
    return interval * amount, interval * burst


class MemoryRateLimiter:
    """GCRA for one process; keeps at most `size` keys (the least recently seen go,
    which can only let a forgotten caller through early, never refuse one)."""

    def __init__(
        self, size: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.size = size
        self.clock = clock
        self._tats: OrderedDict[str, float] = OrderedDict()

    async def acquire(
        self, key: str, limit: RateLimit, amount: int = 1
    ) -> RateDecision:
        increment, capacity = _intervals(limit, amount)
        now = self.clock()
        tat = max(self._tats.get(key, now), now)
        new_tat = tat + increment
        wait = new_tat - now - capacity
        if wait > _EPSILON:
            return RateDecision(False, wait)
        self._tats[key] = new_tat
        self._tats.move_to_end(key)
        while len(self._tats) > self.size:
            self._tats.popitem(last=False)
        return RateDecision(True)


_GCRA = """
local increment = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new_tat = tat + increment
local wait = new_tat - now - capacity
if wait > 0.000001 then return {0, tostring(wait)} end
redis.call('SET', KEYS[1], tostring(new_tat), 'PX',
           math.ceil((new_tat - now) * 1000) + 1)
return {1, '0'}
"""


class RedisRateLimiter:
    """GCRA shared by every gateway instance on one Redis. Redis unreachable: the
    request goes on (a limit must not take the graph down with it), logged."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix + "rate:"
        self._script = redis.register_script(_GCRA)
        self._warned_at = -math.inf

    async def acquire(
        self, key: str, limit: RateLimit, amount: int = 1
    ) -> RateDecision:
        increment, capacity = _intervals(limit, amount)
        try:
            allowed, wait = await self._script(
                keys=[self.prefix + key], args=[repr(increment), repr(capacity)]
            )
        except (RedisError, OSError) as error:
            now = time.monotonic()
            if now - self._warned_at > 10:
                self._warned_at = now
                logger.warning("rate limits unavailable, not applied: %r", error)
            return RateDecision(True)
        if int(allowed) == 1:
            return RateDecision(True)
        return RateDecision(False, float(wait))
