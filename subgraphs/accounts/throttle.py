"""Failed-login throttling: too many wrong passwords for one email and it waits.

Per process and in memory: enough for one accounts process (the embedded mode and the
compose file run one). Several replicas would each count on their own.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from subgraphs.kit.errors import RateLimited

if TYPE_CHECKING:
    from collections.abc import Callable

# Distinct emails tracked at most; the least recently failed is forgotten first.
MAX_TRACKED = 100_000


@dataclass
class LoginThrottle:
    """At most `max_failures` failed logins per email within `window` seconds."""

    max_failures: int = 10
    window: float = 900.0
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=dict, repr=False)

    def check(self, email: str) -> None:
        """Raise RateLimited (with `retry_after`) while `email` is locked out."""
        failures = self._recent(email)
        if failures is not None and len(failures) >= self.max_failures:
            retry_after = failures[0] + self.window - self.clock()
            raise RateLimited(
                "Too many failed logins; try again later.",
                retry_after=round(max(retry_after, 0.0), 1),
            )

    def record_failure(self, email: str) -> None:
        failures = self._recent(email) or deque(maxlen=self.max_failures)
        failures.append(self.clock())
        self._failures.pop(email, None)
        self._failures[email] = failures
        while len(self._failures) > MAX_TRACKED:
            del self._failures[next(iter(self._failures))]

    def reset(self, email: str) -> None:
        self._failures.pop(email, None)

    def _recent(self, email: str) -> deque[float] | None:
        failures = self._failures.get(email)
        if failures is None:
            return None
        horizon = self.clock() - self.window
        while failures and failures[0] <= horizon:
            failures.popleft()
        if not failures:
            del self._failures[email]
            return None
        return failures
