"""Failed logins are limited per (email, client address), with a per-email ceiling."""

from __future__ import annotations

from typing import Any

import pytest

from subgraphs.accounts.throttle import LoginThrottle, MemoryFailureLog
from subgraphs.kit.errors import RateLimited
from subgraphs.kit.pubsub import Broker

ATTACKER = "198.51.100.7"
VICTIM = "203.0.113.9"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _throttle(clock: FakeClock, **limits: Any) -> LoginThrottle:
    return LoginThrottle(MemoryFailureLog(), window=60.0, clock=clock, **limits)


async def test_an_email_is_locked_for_one_client_until_the_window_passes() -> None:
    clock = FakeClock()
    throttle = _throttle(clock, max_failures_per_client=3)
    for _ in range(3):
        await throttle.check("a@x.dev", ATTACKER)
        await throttle.record_failure("a@x.dev", ATTACKER)
        clock.now += 10
    with pytest.raises(RateLimited) as caught:
        await throttle.check("a@x.dev", ATTACKER)
    assert caught.value.retry_after == 30.0
    await throttle.check("b@x.dev", ATTACKER)
    clock.now += 30
    await throttle.check("a@x.dev", ATTACKER)


async def test_an_attacker_cannot_lock_the_victim_out_from_another_address() -> None:
    throttle = _throttle(FakeClock(), max_failures_per_client=3)
    for _ in range(3):
        await throttle.record_failure("victim@x.dev", ATTACKER)
    with pytest.raises(RateLimited):
        await throttle.check("victim@x.dev", ATTACKER)
    await throttle.check("victim@x.dev", VICTIM)


async def test_failures_spread_over_many_addresses_reach_the_per_email_ceiling() -> (
    None
):
    clock = FakeClock()
    throttle = _throttle(clock, max_failures_per_client=3, max_failures_per_email=5)
    for n in range(5):
        await throttle.check("a@x.dev", f"10.0.0.{n}")
        await throttle.record_failure("a@x.dev", f"10.0.0.{n}")
        clock.now += 1
    with pytest.raises(RateLimited) as caught:
        await throttle.check("a@x.dev", VICTIM)
    assert caught.value.retry_after == 55.0
    await throttle.check("b@x.dev", VICTIM)


async def test_a_success_clears_the_clients_count_but_not_the_ceiling() -> None:
    throttle = _throttle(
        FakeClock(), max_failures_per_client=2, max_failures_per_email=3
    )
    await throttle.record_failure("a@x.dev", VICTIM)
    await throttle.reset("a@x.dev", VICTIM)
    await throttle.record_failure("a@x.dev", VICTIM)
    await throttle.check("a@x.dev", VICTIM)
    await throttle.record_failure("a@x.dev", ATTACKER)
    with pytest.raises(RateLimited):
        await throttle.check("a@x.dev", VICTIM)


async def test_retry_after_waits_for_enough_failures_to_leave_the_window() -> None:
    # Concurrent failures may pass the limit: the lock lasts until the count is
    # below it again, not until the oldest failure leaves.
    clock = FakeClock()
    throttle = _throttle(clock, max_failures_per_client=2)
    for _ in range(4):
        await throttle.record_failure("a@x.dev", ATTACKER)
        clock.now += 10
    with pytest.raises(RateLimited) as caught:
        await throttle.check("a@x.dev", ATTACKER)
    assert caught.value.retry_after == 40.0


def test_without_redis_the_throttle_counts_in_memory() -> None:
    assert isinstance(LoginThrottle.for_broker(None).failures, MemoryFailureLog)
    broker = Broker("memory://")
    assert isinstance(LoginThrottle.for_broker(broker).failures, MemoryFailureLog)
