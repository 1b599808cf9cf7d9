"""Sliding-window message rate limits, in memory or in Redis (shared by processes).

Each window keeps the times of the accepted hits. A hit is accepted only when every
window has room, and then it is recorded in all of them, so a refused hit costs nothing.
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from redis.exceptions import RedisError

from subgraphs.chat.errors import MessageRateLimited, RedisUnavailable
from subgraphs.kit.redis_pool import redis_client

if TYPE_CHECKING:
    from collections.abc import Callable

    from redis.asyncio import Redis

__all__ = [
    "MESSAGE_WINDOWS",
    "MemoryRateLimiter",
    "RateLimiter",
    "RedisRateLimiter",
    "Window",
]


@dataclass(frozen=True, slots=True)
class Window:
    limit: int
    seconds: float


# Issue 5: at most 10 messages per minute and 100 per hour per user.
MESSAGE_WINDOWS = (Window(10, 60.0), Window(100, 3600.0))


class RateLimiter(Protocol):
    async def hit(self, key: str, windows: tuple[Window, ...] | None = None) -> None:
        """Record one hit for `key`; raises MessageRateLimited when a window is full.

        `windows` replaces the limiter's own for this key (another action's limits).
        """

    async def close(self) -> None: ...


class MemoryRateLimiter:
    """Limits within one process (the embedded mode)."""

    def __init__(
        self,
        windows: tuple[Window, ...] = MESSAGE_WINDOWS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.windows = windows
        self.clock = clock
        self._hits: dict[tuple[str, int], deque[float]] = {}

    async def hit(self, key: str, windows: tuple[Window, ...] | None = None) -> None:
        now = self.clock()
        logs = []
        for index, window in enumerate(windows or self.windows):
            log = self._hits.setdefault((key, index), deque())
            while log and log[0] <= now - window.seconds:
                log.popleft()
            if len(log) >= window.limit:
                retry_after = log[-window.limit] + window.seconds - now
                raise MessageRateLimited(window.limit, window.seconds, retry_after)
            logs.append(log)
        for log in logs:
            log.append(now)

    async def close(self) -> None:
        self._hits.clear()


# KEYS: one sorted set per window. ARGV: now, member, then (limit, seconds) per window.
# Returns {0, "0"} when accepted, else {window number, retry-after seconds as text}.
_SLIDING_WINDOW = """
local now = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[1 + 2 * i])
  local seconds = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - seconds)
  if redis.call('ZCARD', key) >= limit then
    local oldest = redis.call('ZRANGE', key, -limit, -limit, 'WITHSCORES')
    return {i, tostring(tonumber(oldest[2]) + seconds - now)}
  end
end
for i, key in ipairs(KEYS) do
  local seconds = tonumber(ARGV[2 + 2 * i])
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('PEXPIRE', key, math.ceil(seconds * 1000))
end
return {0, '0'}
"""


class RedisRateLimiter:
    """Limits shared by every process using the same Redis and key prefix."""

    def __init__(
        self,
        redis_url: str,
        *,
        prefix: str = "agora:chat:ratelimit",
        windows: tuple[Window, ...] = MESSAGE_WINDOWS,
        clock: Callable[[], float] = time.time,
        client_name: str | None = None,
    ) -> None:
        self.windows = windows
        self.prefix = prefix
        self.clock = clock
        self._redis: Redis = redis_client(redis_url, client_name=client_name)
        self._script = self._redis.register_script(_SLIDING_WINDOW)

    async def hit(self, key: str, windows: tuple[Window, ...] | None = None) -> None:
        windows = windows or self.windows
        keys = [f"{self.prefix}:{key}:{window.seconds:g}" for window in windows]
        args: list[str | float | int] = [self.clock(), uuid.uuid4().hex]
        for window in windows:
            args += [window.limit, window.seconds]
        try:
            index, retry_after = await self._script(keys=keys, args=args)
        except RedisError as exc:
            raise RedisUnavailable("rate limits") from exc
        if int(index):
            window = windows[int(index) - 1]
            raise MessageRateLimited(window.limit, window.seconds, float(retry_after))

    async def close(self) -> None:
        await self._redis.aclose()
