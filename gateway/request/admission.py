"""Rate limits at the door: per client and per caller, one unit or the cost.

The client is the API key's (or the default client as a whole); the caller is the
token's user, or the address of an anonymous caller. A request over a limit is
refused with RATE_LIMITED, `extensions.retryAfter` (seconds) and a `Retry-After`
header (HTTP 429), before it is parsed when it is charged per request.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .refusal import Refusal

if TYPE_CHECKING:
    from ..config import RateLimit
    from ..policy import RateLimiter
    from .caller import Caller

__all__ = ["RATE_LIMITED", "admit"]

RATE_LIMITED = "RATE_LIMITED"


async def admit(
    limiter: RateLimiter, caller: Caller, amount: int = 1
) -> Refusal | None:
    """None when `caller` may spend `amount` units now, else the refusal."""
    limits = caller.client.rate_limits
    checks: list[tuple[str, RateLimit]] = []
    if limits.per_caller is not None:
        identity = caller.identity
        who = (
            f"user:{identity.user_id}"
            if identity is not None
            else f"address:{caller.address or 'unknown'}"
        )
        checks.append((f"caller:{caller.client.name}:{who}", limits.per_caller))
    if limits.per_client is not None:
        checks.append((f"client:{caller.client.name}", limits.per_client))
    for key, limit in checks:
        decision = await limiter.acquire(key, limit, max(1, amount))
        if not decision.allowed:
            seconds = max(1, math.ceil(decision.retry_after))
            return Refusal.of(
                f"Too many requests: try again in {seconds} s.",
                RATE_LIMITED,
                429,
                headers={"retry-after": str(seconds)},
                retryAfter=round(decision.retry_after, 3),
            )
    return None
