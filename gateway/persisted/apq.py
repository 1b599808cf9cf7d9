"""Automatic persisted queries: documents registered by their SHA-256, shared.

Apollo's protocol (`extensions.persistedQuery: {version: 1, sha256Hash}`): a client
sends the hash alone; on PERSISTED_QUERY_NOT_FOUND it sends hash and document, which
registers the document; later requests (GET too, so a CDN can cache them) send the
hash alone. With Redis every gateway instance sees what any one registered; without
it, each keeps the most recent `size` documents in memory.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import TYPE_CHECKING, Protocol

from redis.exceptions import RedisError

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["ApqStore", "MemoryApqStore", "RedisApqStore"]

logger = logging.getLogger("agora.gateway")


class ApqStore(Protocol):
    """Where registered documents live; neither call raises (a store that fails is
    a miss, and the client sends the document again)."""

    async def get(self, sha256: str) -> str | None: ...

    async def put(self, sha256: str, document: str) -> None: ...


class MemoryApqStore:
    """The most recent `size` documents of this process."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._documents: OrderedDict[str, str] = OrderedDict()

    async def get(self, sha256: str) -> str | None:
        document = self._documents.get(sha256)
        if document is not None:
            self._documents.move_to_end(sha256)
        return document

    async def put(self, sha256: str, document: str) -> None:
        self._documents[sha256] = document
        self._documents.move_to_end(sha256)
        while len(self._documents) > self.size:
            self._documents.popitem(last=False)


class RedisApqStore:
    """Documents in Redis under `prefix`apq:<sha256>, for `ttl` seconds (0: kept),
    with a small memory cache in front (a document never changes under its hash)."""

    def __init__(self, redis: Redis, prefix: str, ttl: float, local_size: int) -> None:
        self.redis = redis
        self.prefix = prefix + "apq:"
        self.ttl = ttl
        self.local = MemoryApqStore(local_size)

    async def get(self, sha256: str) -> str | None:
        document = await self.local.get(sha256)
        if document is not None:
            return document
        try:
            raw = await self.redis.get(self.prefix + sha256)
        except (RedisError, OSError) as error:
            logger.warning("APQ store unavailable, treated as a miss: %r", error)
            return None
        if raw is None:
            return None
        document = raw.decode() if isinstance(raw, bytes) else str(raw)
        await self.local.put(sha256, document)
        return document

    async def put(self, sha256: str, document: str) -> None:
        await self.local.put(sha256, document)
        ttl = int(self.ttl) if self.ttl > 0 else None
        try:
            await self.redis.set(self.prefix + sha256, document, ex=ttl)
        except (RedisError, OSError) as error:
            logger.warning("APQ store unavailable, not shared: %r", error)
