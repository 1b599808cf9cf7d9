"""Login attempts are reserved per (email, client address) with a per-email
ceiling, before the password is checked; registrations per address and in all."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from subgraphs.accounts.throttle import (
    LoginThrottle,
    MemoryAttemptLog,
    RegistrationThrottle,
)
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
    return LoginThrottle(MemoryAttemptLog(), window=60.0, clock=clock, **limits)


async def test_an_email_is_locked_for_one_client_until_the_window_passes() -> None:
    clock = FakeClock()
    throttle = _throttle(clock, max_failures_per_client=3)
    for _ in range(3):
        await throttle.begin("a@x.dev", ATTACKER)  # and fails: nothing to undo
        clock.now += 10
    with pytest.raises(RateLimited) as caught:
        await throttle.begin("a@x.dev", ATTACKER)
    assert caught.value.retry_after == 30.0
    await throttle.begin("b@x.dev", ATTACKER)
    clock.now += 30
    await throttle.begin("a@x.dev", ATTACKER)


async def test_an_attacker_cannot_lock_the_victim_out_from_another_address() -> None:
    throttle = _throttle(FakeClock(), max_failures_per_client=3)
    for _ in range(3):
        await throttle.begin("victim@x.dev", ATTACKER)
    with pytest.raises(RateLimited):
        await throttle.begin("victim@x.dev", ATTACKER)
    await throttle.begin("victim@x.dev", VICTIM)


async def test_attempts_spread_over_many_addresses_reach_the_per_email_ceiling() -> (
    None
):
    clock = FakeClock()
    throttle = _throttle(clock, max_failures_per_client=3, max_failures_per_email=5)
    for n in range(5):
        await throttle.begin("a@x.dev", f"10.0.0.{n}")
        clock.now += 1
    with pytest.raises(RateLimited) as caught:
        await throttle.begin("a@x.dev", VICTIM)
    assert caught.value.retry_after == 55.0
    await throttle.begin("b@x.dev", VICTIM)


async def test_a_success_clears_the_clients_count_but_not_the_ceiling() -> None:
    throttle = _throttle(
        FakeClock(), max_failures_per_client=2, max_failures_per_email=3
    )
    await throttle.begin("a@x.dev", VICTIM)  # failed
    await throttle.succeeded(await throttle.begin("a@x.dev", VICTIM))
    await throttle.begin("a@x.dev", VICTIM)  # failed
    await throttle.begin("a@x.dev", ATTACKER)  # failed: the ceiling holds three
    with pytest.raises(RateLimited):
        await throttle.begin("a@x.dev", VICTIM)


async def test_concurrent_attempts_never_pass_the_limit() -> None:
    # Issue 12, finding 3: the check and the count are one step, so attempts that
    # all start before any finishes still stop at the limit.
    throttle = _throttle(FakeClock(), max_failures_per_client=10)
    outcomes = await asyncio.gather(
        *(throttle.begin("a@x.dev", ATTACKER) for _ in range(30)),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, RateLimited)]
    assert (len(outcomes) - len(refused), len(refused)) == (10, 20)


async def test_registrations_are_limited_per_address_and_in_all() -> None:
    clock = FakeClock()
    throttle = RegistrationThrottle(
        MemoryAttemptLog(), per_address=2, total=3, window=60.0, clock=clock
    )
    await throttle.begin(ATTACKER)
    await throttle.begin(ATTACKER)
    with pytest.raises(RateLimited) as per_address:
        await throttle.begin(ATTACKER)
    await throttle.begin(VICTIM)
    with pytest.raises(RateLimited) as in_all:
        await throttle.begin("192.0.2.1")
    clock.now += 60
    await throttle.begin(ATTACKER)
    assert per_address.value.retry_after == 60.0
    assert in_all.value.message == "Too many registrations; try again later."


def test_registration_limits_come_from_the_environment() -> None:
    throttle = RegistrationThrottle.for_broker(
        None,
        {
            "ACCOUNTS_REGISTRATIONS_PER_ADDRESS": "7",
            "ACCOUNTS_REGISTRATIONS_TOTAL": "70",
            "ACCOUNTS_REGISTRATION_WINDOW": "600",
        },
    )
    assert (throttle.per_address, throttle.total, throttle.window) == (7, 70, 600.0)
    defaults = RegistrationThrottle.for_broker(None, {})
    assert (defaults.per_address, defaults.total, defaults.window) == (5, 1000, 3600)
    with pytest.raises(ValueError, match="ACCOUNTS_REGISTRATIONS_TOTAL"):
        RegistrationThrottle.for_broker(None, {"ACCOUNTS_REGISTRATIONS_TOTAL": "0"})


def test_without_redis_the_throttle_counts_in_memory() -> None:
    assert isinstance(LoginThrottle.for_broker(None).attempts, MemoryAttemptLog)
    broker = Broker("memory://")
    assert isinstance(LoginThrottle.for_broker(broker).attempts, MemoryAttemptLog)
