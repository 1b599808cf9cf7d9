"""The user directory: unknown until accounts publishes it, then a cached lookup
(Redis shared by processes, or memory in one process)."""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

import pytest
from redis import asyncio as aioredis

from subgraphs.kit.context import RequestContext
from subgraphs.kit.settings import Settings
from subgraphs.kit.users import (
    UserDirectory,
    UserRecord,
    check_active_user,
    directory_for,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

ALICE = UserRecord("user-alice", "tenant-1")
BOB = UserRecord("user-bob", None)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


async def test_in_memory_the_directory_is_unknown_until_published() -> None:
    directory = UserDirectory()
    assert await directory.lookup(ALICE.user_id) is False
    await directory.put(ALICE)  # before publication: does not make it known
    assert await directory.lookup(ALICE.user_id) is False
    await directory.replace([ALICE, BOB])
    assert await directory.lookup(ALICE.user_id) == ALICE
    assert await directory.lookup(BOB.user_id) == BOB
    assert await directory.lookup("user-nobody") is None
    await directory.remove(BOB.user_id)
    assert await directory.lookup_many([ALICE.user_id, BOB.user_id]) == {
        ALICE.user_id: ALICE,
        BOB.user_id: None,
    }


@pytest.mark.integration
async def test_processes_share_the_directory_through_redis_within_the_cache_ttl(
    redis: aioredis.Redis, redis_prefix: str
) -> None:
    clock = Clock()
    accounts = UserDirectory(redis, redis_prefix, cache_ttl=5.0, clock=clock)
    chat = UserDirectory(redis, redis_prefix, cache_ttl=5.0, clock=clock)
    unknown = await chat.lookup(ALICE.user_id)
    clock.now += 6
    await accounts.replace([ALICE, BOB])
    published = await chat.lookup(ALICE.user_id)
    await accounts.remove(ALICE.user_id)
    cached = await chat.lookup(ALICE.user_id)  # no Redis round trip
    clock.now += 6
    expired = await chat.lookup(ALICE.user_id)
    await accounts.put(UserRecord("user-carol", "tenant-2"))
    added = await chat.lookup("user-carol")
    try:
        assert (unknown, published, cached, expired) == (False, ALICE, ALICE, None)
        assert added == UserRecord("user-carol", "tenant-2")
    finally:
        await redis.delete(accounts.key)


@pytest.mark.integration
async def test_a_redis_outage_lets_callers_through_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    down = aioredis.Redis.from_url("redis://127.0.0.1:1/0")
    caplog.set_level(logging.WARNING, logger="agora.subgraphs")
    try:
        found = await UserDirectory(down, "x:").lookup(ALICE.user_id)
    finally:
        await down.aclose()
    assert found is False
    assert any("not checked" in r.getMessage() for r in caplog.records)


async def test_a_caller_the_published_directory_lacks_is_unauthenticated() -> None:
    from subgraphs.kit.pubsub import Broker

    broker = Broker("memory://", prefix=f"t{uuid.uuid4().hex[:6]}:")
    directory = directory_for(broker)
    assert directory is not None
    known = RequestContext(settings=Settings(), broker=broker, user_id="user-alice")
    gone = RequestContext(settings=Settings(), broker=broker, user_id="user-gone")
    await check_active_user(gone)  # not published yet: nobody is refused
    assert gone.user_id == "user-gone"
    await directory.replace([ALICE])
    await check_active_user(known)
    await check_active_user(gone)
    assert known.user_id == "user-alice"
    assert (gone.user_id, gone.roles) == (None, frozenset())
    assert gone.auth_error is not None
    assert gone.auth_error.code == "UNAUTHENTICATED"
