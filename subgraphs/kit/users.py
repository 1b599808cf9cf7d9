"""Which users exist and are active: a directory accounts publishes, subgraphs read.

A token stays valid until it expires, whatever happens to its user; so each
subgraph checks the caller against this directory (issue 12, finding 10) and a
deleted or deactivated user is UNAUTHENTICATED everywhere within a few seconds.
Accounts owns the truth (its user table): it replaces the whole directory at
start-up and every ACCOUNTS_DIRECTORY_SYNC_INTERVAL seconds, and updates it as
users register or are deactivated.

The directory lives beside the broker: in process memory (the embedded mode, where
accounts runs in the same process) or in a Redis hash under the broker's prefix,
read through a per-process cache of AGORA_USER_CACHE_TTL seconds (so a request costs
no query). Until accounts has published it (a subgraph started alone, without
Redis, or before accounts' first sync) the directory is unknown and nobody is
refused; a Redis outage likewise lets callers through, logged.
"""

from __future__ import annotations

import logging
import os
import time
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from subgraphs.kit.errors import Unauthenticated

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from redis import asyncio as aioredis

    from subgraphs.kit.context import RequestContext
    from subgraphs.kit.pubsub import Broker

__all__ = [
    "UserDirectory",
    "UserRecord",
    "check_active_user",
    "directory_for",
]

logger = logging.getLogger("agora.subgraphs")

DEFAULT_CACHE_TTL = 5.0
# Entries cached per process at most; the cache starts over when full.
MAX_CACHED = 50_000
# A field no user id can be: present once accounts published the directory.
_LOADED = ""


@dataclass(frozen=True, slots=True)
class UserRecord:
    """An active user and their tenant (None: platform staff, not yet invited)."""

    user_id: str
    tenant_id: str | None


def _cache_ttl() -> float:
    raw = os.environ.get("AGORA_USER_CACHE_TTL")
    try:
        return DEFAULT_CACHE_TTL if not raw else max(float(raw), 0.0)
    except ValueError:
        logger.warning("AGORA_USER_CACHE_TTL=%r is not a number: using 5 s", raw)
        return DEFAULT_CACHE_TTL


@dataclass
class UserDirectory:
    """The active users of one broker's subgraphs (see the module docstring)."""

    redis: aioredis.Redis | None = None
    prefix: str = "agora:"
    cache_ttl: float = field(default_factory=_cache_ttl)
    clock: Callable[[], float] = time.monotonic
    # In memory: the records; None until accounts published them.
    _records: dict[str, str] | None = field(default=None, repr=False)
    # Redis: user id -> (expires at, tenant or None for no such user).
    _cache: dict[str, tuple[float, str | None]] = field(
        default_factory=dict, repr=False
    )
    _loaded_until: float = field(default=-1.0, repr=False)
    _loaded: bool = field(default=False, repr=False)

    @property
    def key(self) -> str:
        return f"{self.prefix}users:directory"

    async def lookup(self, user_id: str) -> UserRecord | bool | None:
        """The user's record; None when the directory has no such active user;
        False when the directory is not known (nobody can be refused)."""
        if self.redis is None:
            if self._records is None:
                return False
            tenant = self._records.get(user_id)
            return None if tenant is None else _record(user_id, tenant)
        now = self.clock()
        cached = self._cache.get(user_id)
        if cached is not None and cached[0] > now and self._loaded_until > now:
            if not self._loaded:
                return False
            return None if cached[1] is None else _record(user_id, cached[1])
        try:
            found: list[bytes | str | None] = await self.redis.hmget(
                self.key, [_LOADED, user_id]
            )
        except (RedisError, OSError) as error:
            logger.warning("user directory: Redis unavailable, not checked: %s", error)
            return False
        loaded, raw = found
        expires = now + self.cache_ttl
        self._loaded, self._loaded_until = loaded is not None, expires
        if len(self._cache) >= MAX_CACHED:
            self._cache.clear()
        value = None if raw is None else _text(raw)
        self._cache[user_id] = (expires, value)
        if not self._loaded:
            return False
        return None if value is None else _record(user_id, value)

    async def lookup_many(
        self, user_ids: Iterable[str]
    ) -> dict[str, UserRecord | None] | None:
        """Records by id (None for no such active user); None when not known."""
        found: dict[str, UserRecord | None] = {}
        for user_id in dict.fromkeys(user_ids):
            record = await self.lookup(user_id)
            if record is False:
                return None
            found[user_id] = record if isinstance(record, UserRecord) else None
        return found

    async def replace(self, records: Iterable[UserRecord]) -> None:
        """Make `records` the whole directory (accounts, from its user table)."""
        values = {r.user_id: r.tenant_id or "" for r in records}
        if self.redis is None:
            self._records = values
            return
        entries: dict[Any, Any] = {_LOADED: "1", **values}
        staging = f"{self.key}:staging"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(staging)
            pipe.hset(staging, mapping=entries)
            pipe.rename(staging, self.key)
            await pipe.execute()
        self._cache.clear()

    async def put(self, record: UserRecord) -> None:
        """Add or update one active user (accounts, after a registration)."""
        if self.redis is None:
            if self._records is not None:
                self._records[record.user_id] = record.tenant_id or ""
            return
        # Only into a published directory: a lone entry must not make it "known".
        await self.redis.eval(
            "if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then "
            "redis.call('HSET', KEYS[1], ARGV[2], ARGV[3]) end return 0",
            1,
            self.key,
            _LOADED,
            record.user_id,
            record.tenant_id or "",
        )
        self._cache.pop(record.user_id, None)

    async def remove(self, user_id: str) -> None:
        """Take a user out (accounts, after a deactivation)."""
        if self.redis is None:
            if self._records is not None:
                self._records.pop(user_id, None)
            return
        await self.redis.hdel(self.key, user_id)
        self._cache.pop(user_id, None)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _record(user_id: str, tenant: str) -> UserRecord:
    return UserRecord(user_id=user_id, tenant_id=tenant or None)


_DIRECTORIES: weakref.WeakKeyDictionary[Broker, UserDirectory] = (
    weakref.WeakKeyDictionary()
)


def directory_for(broker: Broker | None) -> UserDirectory | None:
    """The user directory shared by the subgraphs of `broker` (None without one)."""
    if broker is None:
        return None
    directory = _DIRECTORIES.get(broker)
    if directory is None:
        directory = UserDirectory(redis=broker.redis, prefix=broker.prefix)
        _DIRECTORIES[broker] = directory
    return directory


async def check_active_user(context: RequestContext) -> None:
    """Forget the caller of `context` when the directory says they are not an
    active user: their requests then meet UNAUTHENTICATED wherever they need one."""
    if context.user_id is None:
        return
    directory = directory_for(context.broker)
    if directory is None or await directory.lookup(context.user_id) is not None:
        return
    context.user_id = None
    context.tenant_id = None
    context.roles = frozenset()
    context.scopes = frozenset()
    context.auth_error = Unauthenticated("The account is not active.")
