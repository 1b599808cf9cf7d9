"""Subscription limits and keep-alive timings, from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..policy import jwt_secret_from_env

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["SubscriptionSettings"]

_PREFIX = "AGORA_GATEWAY_SUBSCRIPTION_"


@dataclass(frozen=True, slots=True)
class SubscriptionSettings:
    """How subscriptions are served.

    Environment (all optional): AGORA_GATEWAY_SUBSCRIPTION_OUTBOX_LIMIT (messages a
    client may leave unread before it is disconnected), ..._INIT_TIMEOUT (seconds to
    send connection_init), ..._KEEPALIVE (seconds between legacy `ka` messages and SSE
    comments), ..._BURST_LIMIT (events executed together), ..._MAX_BODY_BYTES (an SSE
    POST body larger than this gets 413), JWT_SECRET.
    """

    outbox_limit: int = 1000
    connection_init_timeout: float = 3.0
    keepalive_interval: float = 12.0
    burst_limit: int = 64
    max_body_bytes: int = 1_048_576
    jwt_secret: str = field(default_factory=jwt_secret_from_env)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SubscriptionSettings:
        env = os.environ if environ is None else environ
        defaults = cls(jwt_secret=jwt_secret_from_env(env))

        def number(name: str, default: float) -> float:
            raw = (env.get(_PREFIX + name) or "").strip()
            if not raw:
                return default
            try:
                return float(raw)
            except ValueError:
                raise ValueError(
                    f"{_PREFIX}{name} must be a number, got {raw!r}"
                ) from None

        return cls(
            outbox_limit=int(number("OUTBOX_LIMIT", defaults.outbox_limit)),
            connection_init_timeout=number(
                "INIT_TIMEOUT", defaults.connection_init_timeout
            ),
            keepalive_interval=number("KEEPALIVE", defaults.keepalive_interval),
            burst_limit=int(number("BURST_LIMIT", defaults.burst_limit)),
            max_body_bytes=int(number("MAX_BODY_BYTES", defaults.max_body_bytes)),
            jwt_secret=defaults.jwt_secret,
        )
