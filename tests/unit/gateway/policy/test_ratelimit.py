"""GCRA in memory: a steady rate, bursts up to the burst, waits that are exact."""

from __future__ import annotations

from gateway.config import RateLimit
from gateway.policy import MemoryRateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_burst_passes_then_the_rate_holds() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(clock=clock)
    limit = RateLimit(limit=10, period=1.0, burst=3)
    decisions = [await limiter.acquire("k", limit) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert abs(decisions[3].retry_after - 0.1) < 1e-9
    clock.now += 0.1  # one emission interval later: exactly one more
    assert (await limiter.acquire("k", limit)).allowed
    assert not (await limiter.acquire("k", limit)).allowed


async def test_keys_are_independent_and_amounts_weigh() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(clock=clock)
    limit = RateLimit(limit=5, period=10.0)
    assert (await limiter.acquire("a", limit, 5)).allowed
    refused = await limiter.acquire("a", limit, 1)
    assert not refused.allowed
    assert abs(refused.retry_after - 2.0) < 1e-9
    assert (await limiter.acquire("b", limit, 5)).allowed
    # More than the burst can never pass: the wait says how far over it is.
    too_big = await limiter.acquire("c", limit, 6)
    assert not too_big.allowed


async def test_forgotten_keys_are_let_through_never_refused() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(size=2, clock=clock)
    limit = RateLimit(limit=1, period=60.0)
    for key in ("a", "b", "c"):
        assert (await limiter.acquire(key, limit)).allowed
    # "a" was evicted: it passes again (early), the bound holds memory.
    assert (await limiter.acquire("a", limit)).allowed
    assert len(limiter._tats) == 2
