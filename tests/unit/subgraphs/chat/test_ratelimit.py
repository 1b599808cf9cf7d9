"""Sliding-window rate limits, in memory and shared through Redis."""

from __future__ import annotations

import pytest

from subgraphs.chat.errors import MessageRateLimited, RedisUnavailable
from subgraphs.chat.presence import RedisPresence
from subgraphs.chat.ratelimit import (
    MESSAGE_WINDOWS,
    MemoryRateLimiter,
    RedisRateLimiter,
    Window,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_issue_limits_are_ten_a_minute_and_a_hundred_an_hour() -> None:
    assert MESSAGE_WINDOWS == (Window(10, 60.0), Window(100, 3600.0))


async def test_the_minute_window_slides() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(clock=clock)
    for _ in range(10):
        await limiter.hit("u")
        clock.now += 1
    with pytest.raises(MessageRateLimited) as raised:
        await limiter.hit("u")
    assert raised.value.retry_after == pytest.approx(50.0)
    clock.now += 50
    await limiter.hit("u")


async def test_the_hour_window_holds_after_the_minute_window_frees() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(clock=clock)
    for _ in range(100):
        await limiter.hit("u")
        clock.now += 7  # 8.6 a minute: the minute window never fills
    with pytest.raises(MessageRateLimited) as raised:
        await limiter.hit("u")
    assert raised.value.limit == 100
    assert 0 < raised.value.retry_after <= 3600


async def test_a_refused_hit_is_not_counted() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter((Window(2, 60.0),), clock=clock)
    await limiter.hit("u")
    await limiter.hit("u")
    for _ in range(5):
        with pytest.raises(MessageRateLimited):
            await limiter.hit("u")
    clock.now += 60
    await limiter.hit("u")
    await limiter.hit("u")


async def test_users_have_separate_limits() -> None:
    limiter = MemoryRateLimiter((Window(1, 60.0),))
    await limiter.hit("a")
    await limiter.hit("b")
    with pytest.raises(MessageRateLimited):
        await limiter.hit("a")


@pytest.mark.integration
async def test_redis_limits_are_shared_by_every_limiter_on_the_prefix(
    redis_url: str, redis_prefix: str
) -> None:
    clock = Clock()
    one = RedisRateLimiter(redis_url, prefix=redis_prefix, clock=clock)
    two = RedisRateLimiter(redis_url, prefix=redis_prefix, clock=clock)
    try:
        for n in range(10):
            await (one, two)[n % 2].hit("u")
            clock.now += 1
        with pytest.raises(MessageRateLimited) as raised:
            await two.hit("u")
        assert raised.value.retry_after == pytest.approx(50.0)
        clock.now += 50
        await one.hit("u")
    finally:
        await one.close()
        await two.close()


async def test_an_unreachable_redis_is_service_unavailable_not_an_internal_error() -> (
    None
):
    # Nothing listens on port 1: every Redis error must come out as ours.
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0")
    presence = RedisPresence("redis://127.0.0.1:1/0")
    try:
        with pytest.raises(RedisUnavailable) as raised:
            await limiter.hit("u")
        assert raised.value.code == "SERVICE_UNAVAILABLE"
        with pytest.raises(RedisUnavailable):
            await presence.connect("u", "c1")
        with pytest.raises(RedisUnavailable):
            await presence.online(["u"])
    finally:
        await limiter.close()
        await presence.close()
