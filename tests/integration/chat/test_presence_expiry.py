"""Presence entries of a crashed process expire, and subscribers hear `offline`.

On the real Redis: a process "crashes" by closing its RedisPresence without
disconnecting (no heartbeat, no offline of its own); a sweeper elsewhere reports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

import pytest

from subgraphs.chat.app import create_app
from subgraphs.chat.presence import RedisPresence, publish_expired, sweep_presence
from subgraphs.chat.subscriptions import presence_updates
from subgraphs.kit.principal import Principal
from subgraphs.kit.pubsub import Broker

from .test_realtime import AGENT, DEMO_USER, TransportWsClient, identity

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from typing import Any

    from subgraphs.kit.settings import Settings

pytestmark = pytest.mark.integration

# The user watches their own presence: no conversation (and no database) needed.
WATCHER = Principal("user-phone", None, frozenset({"member"}))
TTL = 30.0


class ShiftedClock:
    """Wall-clock time plus an offset the test moves, so nothing sleeps."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture
async def broker(redis_url: str, redis_prefix: str) -> AsyncIterator[Broker]:
    async with Broker(redis_url, prefix=redis_prefix) as connected:
        yield connected


@contextlib.asynccontextmanager
async def process(
    redis_url: str, redis_prefix: str, clock: ShiftedClock, ttl: float = TTL
) -> AsyncIterator[RedisPresence]:
    """The presence of one chat process on the shared Redis and prefix."""
    presence = RedisPresence(
        redis_url, prefix=f"{redis_prefix}presence", ttl=ttl, clock=clock
    )
    try:
        yield presence
    finally:
        await presence.close()


async def test_subscribers_hear_offline_when_a_crashed_process_s_entry_expires(
    redis_url: str, redis_prefix: str, broker: Broker, clock: ShiftedClock
) -> None:
    async with process(redis_url, redis_prefix, clock) as survivor:
        crashed = RedisPresence(
            redis_url, prefix=f"{redis_prefix}presence", ttl=TTL, clock=clock
        )
        await crashed.connect("user-phone", "connection-1")
        await crashed.close()  # gone without a word: no disconnect, no heartbeat
        stream = presence_updates(
            WATCHER, ["user-phone"], broker=broker, presence=survivor
        )
        before = await asyncio.wait_for(anext(stream), 5)
        early = await publish_expired(survivor, broker)
        clock.offset = TTL + 1
        late = await publish_expired(survivor, broker)
        after = await asyncio.wait_for(anext(stream), 5)
        await stream.aclose()
    assert (before.online, early, late) == (True, [], ["user-phone"])
    assert (after.user_id, after.online) == ("user-phone", False)


async def test_each_expiry_is_reported_once_across_processes(
    redis_url: str, redis_prefix: str, clock: ShiftedClock
) -> None:
    async with (
        process(redis_url, redis_prefix, clock) as one,
        process(redis_url, redis_prefix, clock) as two,
        process(redis_url, redis_prefix, clock) as crashed,
    ):
        for n in range(20):
            await crashed.connect(f"user-{n}", "connection")
        clock.offset = TTL + 1
        swept = await asyncio.gather(one.expire(), two.expire(), one.expire())
        again = await two.expire()
    reported = [user for gone in swept for user in gone]
    assert sorted(reported) == sorted(f"user-{n}" for n in range(20))
    assert again == []


async def test_a_user_still_connected_elsewhere_is_not_reported(
    redis_url: str, redis_prefix: str, clock: ShiftedClock
) -> None:
    async with (
        process(redis_url, redis_prefix, clock) as crashed,
        process(redis_url, redis_prefix, clock) as alive,
    ):
        await crashed.connect("user-phone", "on-the-crashed-process")
        clock.offset = TTL / 2
        await alive.connect("user-phone", "on-the-live-process")
        clock.offset = TTL + 1  # the first connection is past its expiry
        gone = await alive.expire()
        online = await alive.online(["user-phone"])
        clock.offset = TTL / 2 + TTL + 1
        gone_later = await alive.expire()
    assert (gone, online, gone_later) == ([], {"user-phone": True}, ["user-phone"])


async def test_a_user_who_left_normally_is_not_reported_again(
    redis_url: str, redis_prefix: str, clock: ShiftedClock
) -> None:
    async with process(redis_url, redis_prefix, clock) as presence:
        assert await presence.connect("user-phone", "connection") is True
        assert await presence.disconnect("user-phone", "connection") is True
        clock.offset = TTL + 1
        gone = await presence.expire()
    assert gone == []


async def test_the_sweeper_reports_expiry_by_itself(
    redis_url: str, redis_prefix: str, broker: Broker, clock: ShiftedClock
) -> None:
    ttl = 0.3
    async with process(redis_url, redis_prefix, clock, ttl=ttl) as survivor:
        crashed = RedisPresence(
            redis_url, prefix=f"{redis_prefix}presence", ttl=ttl, clock=clock
        )
        await crashed.connect("user-phone", "connection-1")
        await crashed.close()
        stream = presence_updates(
            WATCHER, ["user-phone"], broker=broker, presence=survivor
        )
        before = await asyncio.wait_for(anext(stream), 5)
        sweeper = asyncio.create_task(
            sweep_presence(survivor, broker, interval=ttl / 3)
        )
        after = await asyncio.wait_for(anext(stream), 5)
        sweeper.cancel()
        await asyncio.gather(sweeper, return_exceptions=True)
        await stream.aclose()
    assert (before.online, after.online) == (True, False)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_the_chat_app_sweeps_and_tells_its_websocket_subscribers(
    chat_settings: Settings, uvicorn_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ttl = 2.0
    monkeypatch.setenv("CHAT_PRESENCE_TTL", str(ttl))
    crashed = RedisPresence(
        chat_settings.redis_url or "",
        prefix=f"{chat_settings.redis_prefix}chat:presence",
        ttl=ttl,
    )
    async with uvicorn_server(create_app(chat_settings)) as base_url:
        await crashed.connect(DEMO_USER, "on-a-crashed-process")
        await crashed.close()
        watcher = await TransportWsClient.open(base_url, identity(chat_settings, AGENT))
        await watcher.subscribe(
            "subscription($ids: [ID!]!) { presence(userIds: $ids) { online } }",
            ids=[DEMO_USER],
        )
        states = [await watcher.next(), await watcher.next(timeout=3 * ttl)]
        await watcher.close()
    assert states == [{"presence": {"online": True}}, {"presence": {"online": False}}]
