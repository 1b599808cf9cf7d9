"""Failed logins per email are limited in a sliding window."""

from __future__ import annotations

import pytest

from subgraphs.accounts.throttle import LoginThrottle
from subgraphs.kit.errors import RateLimited


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_email_is_locked_after_max_failures_until_the_window_passes() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(max_failures=3, window=60.0, clock=clock)
    for _ in range(3):
        throttle.check("a@x.dev")
        throttle.record_failure("a@x.dev")
        clock.now += 10
    with pytest.raises(RateLimited) as caught:
        throttle.check("a@x.dev")
    assert caught.value.retry_after == 30.0
    throttle.check("b@x.dev")
    clock.now += 30
    throttle.check("a@x.dev")


def test_a_successful_login_clears_the_failures() -> None:
    throttle = LoginThrottle(max_failures=2, window=60.0, clock=FakeClock())
    throttle.record_failure("a@x.dev")
    throttle.reset("a@x.dev")
    throttle.record_failure("a@x.dev")
    throttle.check("a@x.dev")
