"""Throttles for logins and registrations: attempts reserved before the work is done.

Logins. Counting per email alone let anyone lock a victim out by typing wrong
passwords for the victim's address. So the tight limit (`max_failures_per_client`, 10
in 15 min) counts the attempts on one email from one client address: an attacker
locks out only themselves. The per-email ceiling (`max_failures_per_email`, 100)
still caps a guessing attack spread over many addresses; only such an attack can
lock an email. A successful login clears its (email, address) count and takes
itself off the ceiling, never the failures before it, so a victim logging in does
not hand the attacker a fresh budget.

Each attempt is reserved, atomically with the check, before the password is
verified (issue 12, finding 3): checking first and recording the failure after the
argon2 wait let 30 parallel guesses all through. A failure keeps its reservation.

Registrations: at most `per_address` per client address and `total` for everyone
within `window` (issue 12, finding 5), counted whatever the outcome.

Attempts are kept in an AttemptLog: in memory (one process) or in Redis, shared by
every accounts replica, when REDIS_URL is set (see `for_broker`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from redis.exceptions import RedisError

from subgraphs.kit.errors import RateLimited

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from redis import asyncio as aioredis

    from subgraphs.kit.pubsub import Broker

logger = logging.getLogger("agora.subgraphs")

# Keys tracked in memory at most; the least recently used is forgotten first.
MAX_TRACKED = 100_000


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `limit` attempts recorded under `key` within `window` seconds."""

    key: str
    limit: int
    window: float


class AttemptLog(Protocol):
    """Timestamps of attempts by key, within sliding windows."""

    async def reserve(
        self, limits: Sequence[Limit], member: str, at: float
    ) -> float | None:
        """Atomically: when every limit has room, record `member` at `at` under
        each key and return None; else record nothing and return the seconds until
        the first full one has room."""
        ...

    async def release(self, key: str, member: str) -> None:
        """Forget one recorded attempt."""
        ...

    async def clear(self, key: str) -> None:
        """Forget every attempt of `key`."""
        ...


@dataclass
class MemoryAttemptLog:
    """Attempts in this process's memory (the embedded default)."""

    _attempts: dict[str, deque[tuple[float, str]]] = field(
        default_factory=dict, repr=False
    )

    async def reserve(
        self, limits: Sequence[Limit], member: str, at: float
    ) -> float | None:
        # No await from the check to the record: atomic on the event loop.
        logs = []
        for limit in limits:
            log = self._attempts.pop(limit.key, None) or deque()
            self._attempts[limit.key] = log  # most recently used last
            while log and log[0][0] <= at - limit.window:
                log.popleft()
            if len(log) >= limit.limit:
                return max(log[len(log) - limit.limit][0] + limit.window - at, 0.0)
            logs.append(log)
        for log in logs:
            log.append((at, member))
        while len(self._attempts) > MAX_TRACKED:
            del self._attempts[next(iter(self._attempts))]
        return None

    async def release(self, key: str, member: str) -> None:
        log = self._attempts.get(key)
        if log is not None:
            for entry in log:
                if entry[1] == member:
                    log.remove(entry)
                    break

    async def clear(self, key: str) -> None:
        self._attempts.pop(key, None)


# KEYS: one sorted set per limit. ARGV: now, member, then (limit, window) per key.
# Returns -1 when recorded, else the seconds until the first full key has room.
_RESERVE = """
local now = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[1 + 2 * i])
  local window = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= limit then
    local oldest = redis.call('ZRANGE', key, -limit, -limit, 'WITHSCORES')
    return tostring(tonumber(oldest[2]) + window - now)
  end
end
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[2 + 2 * i])
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('PEXPIRE', key, math.ceil(window * 1000) + 1000)
end
return '-1'
"""


class RedisAttemptLog:
    """Attempts in Redis sorted sets (score = time), shared by every replica.

    Redis unreachable: the attempt is logged and let through rather than refused;
    an outage must not lock everyone out.
    """

    def __init__(self, redis: aioredis.Redis, prefix: str = "agora:") -> None:
        self.redis = redis
        self.prefix = prefix + "accounts:attempts:"
        self._reserve = redis.register_script(_RESERVE)

    async def reserve(
        self, limits: Sequence[Limit], member: str, at: float
    ) -> float | None:
        args: list[str | float | int] = [at, member]
        for limit in limits:
            args += [limit.limit, limit.window]
        try:
            retry_after = await self._reserve(
                keys=[self.prefix + limit.key for limit in limits], args=args
            )
        except (RedisError, OSError) as error:
            logger.warning(
                "accounts throttle: Redis unavailable, not enforced: %s", error
            )
            return None
        seconds = float(retry_after)
        return None if seconds < 0 else max(seconds, 0.0)

    async def release(self, key: str, member: str) -> None:
        try:
            await self.redis.zrem(self.prefix + key, member)
        except (RedisError, OSError) as error:
            logger.warning("accounts throttle: attempt not released: %s", error)

    async def clear(self, key: str) -> None:
        try:
            await self.redis.delete(self.prefix + key)
        except (RedisError, OSError) as error:
            logger.warning("accounts throttle: attempts not cleared: %s", error)


def attempt_log_for(broker: Broker | None) -> AttemptLog:
    """Shared through the broker's Redis when there is one, in memory otherwise."""
    redis = broker.redis if broker is not None else None
    if redis is None or broker is None:
        return MemoryAttemptLog()
    return RedisAttemptLog(redis, broker.prefix)


def _key(kind: str, *parts: str) -> str:
    # Hashed: no email or address in Redis keys, and a bounded key length.
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]
    return f"{kind}:{digest}"


@dataclass(frozen=True, slots=True)
class LoginAttempt:
    """A reserved login attempt; pass it to `LoginThrottle.succeeded`."""

    email: str
    client: str
    member: str


@dataclass
class LoginThrottle:
    """At most `max_failures_per_client` login attempts per (email, client address)
    and `max_failures_per_email` per email within `window` seconds, a successful
    attempt not counting."""

    attempts: AttemptLog = field(default_factory=MemoryAttemptLog)
    max_failures_per_client: int = 10
    max_failures_per_email: int = 100
    window: float = 900.0
    # Wall time: replicas sharing Redis must agree on it.
    clock: Callable[[], float] = time.time

    @classmethod
    def for_broker(cls, broker: Broker | None) -> LoginThrottle:
        """Shared through the broker's Redis when there is one, in memory otherwise."""
        return cls(attempt_log_for(broker))

    async def begin(self, email: str, client: str) -> LoginAttempt:
        """Reserve one attempt; RateLimited (with `retry_after`) while this email is
        locked out for this client, or for everyone."""
        member = uuid.uuid4().hex
        retry_after = await self.attempts.reserve(
            self._limits(email, client), member, self.clock()
        )
        if retry_after is not None:
            raise RateLimited(
                "Too many failed logins; try again later.",
                retry_after=round(retry_after, 1),
            )
        return LoginAttempt(email=email, client=client, member=member)

    async def succeeded(self, attempt: LoginAttempt) -> None:
        """After a successful login: clear this client's count for the email and
        take this attempt off the email's ceiling."""
        client_limit, email_limit = self._limits(attempt.email, attempt.client)
        await self.attempts.clear(client_limit.key)
        await self.attempts.release(email_limit.key, attempt.member)

    def _limits(self, email: str, client: str) -> tuple[Limit, Limit]:
        return (
            Limit(
                _key("client", email, client), self.max_failures_per_client, self.window
            ),
            Limit(_key("email", email), self.max_failures_per_email, self.window),
        )


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {raw!r}")
    return value


@dataclass
class RegistrationThrottle:
    """At most `per_address` registrations per client address and `total` in all
    within `window` seconds; every attempt with well-formed input counts."""

    attempts: AttemptLog = field(default_factory=MemoryAttemptLog)
    per_address: int = 5
    total: int = 1000
    window: float = 3600.0
    clock: Callable[[], float] = time.time

    @classmethod
    def for_broker(
        cls, broker: Broker | None, environ: Mapping[str, str] | None = None
    ) -> RegistrationThrottle:
        """Limits from ACCOUNTS_REGISTRATIONS_PER_ADDRESS (5),
        ACCOUNTS_REGISTRATIONS_TOTAL (1000), ACCOUNTS_REGISTRATION_WINDOW (3600 s)."""
        env = os.environ if environ is None else environ
        return cls(
            attempt_log_for(broker),
            per_address=int(_positive(env, "ACCOUNTS_REGISTRATIONS_PER_ADDRESS", 5)),
            total=int(_positive(env, "ACCOUNTS_REGISTRATIONS_TOTAL", 1000)),
            window=_positive(env, "ACCOUNTS_REGISTRATION_WINDOW", 3600.0),
        )

    async def begin(self, client: str) -> None:
        """Count one registration from `client`; RateLimited when a limit is full."""
        limits = (
            Limit(_key("register-client", client), self.per_address, self.window),
            Limit("register-total", self.total, self.window),
        )
        retry_after = await self.attempts.reserve(
            limits, uuid.uuid4().hex, self.clock()
        )
        if retry_after is not None:
            raise RateLimited(
                "Too many registrations; try again later.",
                retry_after=round(retry_after, 1),
            )
