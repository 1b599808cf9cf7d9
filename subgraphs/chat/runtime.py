"""What the chat resolvers share within one app: broker, rate limiter, presence.

Redis-backed when settings.redis_url is set (shared across processes), in memory
otherwise. The runtime is the chat's service (subgraphs.kit.services): `chat_runtime`
makes it at start-up, sweeps expired presence while the app serves and closes the
Redis clients at shutdown, standalone or embedded; a resolver reaches it with
`runtime_of(ctx)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from subgraphs.chat.limits import ActionLimits
from subgraphs.chat.presence import (
    MemoryPresence,
    Presence,
    RedisPresence,
    sweep_presence,
)
from subgraphs.chat.ratelimit import (
    MESSAGE_WINDOWS,
    MemoryRateLimiter,
    RateLimiter,
    RedisRateLimiter,
    Window,
)
from subgraphs.chat.typing_indicators import DEFAULT_TYPING_TTL
from subgraphs.kit.background import run_background

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from subgraphs.kit.context import RequestContext
    from subgraphs.kit.pubsub import Broker
    from subgraphs.kit.settings import Settings


__all__ = ["ChatRuntime", "chat_runtime", "runtime_of"]


@dataclass(frozen=True, slots=True)
class ChatRuntime:
    broker: Broker
    limiter: RateLimiter
    presence: Presence
    typing_ttl: float = DEFAULT_TYPING_TTL
    # Seconds between presence sweeps; None when nothing can expire (in memory).
    sweep_interval: float | None = None
    # Edits, reactions and pins (the `limiter` counts them too, under their keys).
    limits: ActionLimits = field(default_factory=ActionLimits)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        broker: Broker,
        *,
        windows: tuple[Window, ...] | None = None,
        typing_ttl: float | None = None,
    ) -> ChatRuntime:
        """CHAT_TYPING_TTL and CHAT_PRESENCE_TTL (seconds) tune the realtime parts;
        the CHAT_*_PER_MINUTE variables the action limits (see chat.limits), and
        CHAT_MESSAGES_PER_MINUTE the messages one user may send (10, and ten times
        that per hour; load tests raise it)."""
        if windows is None:
            per_minute = int(os.environ.get("CHAT_MESSAGES_PER_MINUTE") or 0)
            windows = MESSAGE_WINDOWS
            if per_minute > 0:
                windows = (Window(per_minute, 60.0), Window(per_minute * 10, 3600.0))
        if typing_ttl is None:
            typing_ttl = float(os.environ.get("CHAT_TYPING_TTL") or DEFAULT_TYPING_TTL)
        limits = ActionLimits.from_env()
        if not settings.redis_url:
            return cls(
                broker,
                MemoryRateLimiter(windows),
                MemoryPresence(),
                typing_ttl,
                limits=limits,
            )
        prefix = f"{settings.redis_prefix}chat"
        # Named, so operators (and tests) can tell the chat's Redis links apart.
        name = "agora-chat-" + "".join(c if c.isalnum() else "-" for c in prefix)
        ttl = float(os.environ.get("CHAT_PRESENCE_TTL") or 30.0)
        limiter = RedisRateLimiter(
            settings.redis_url,
            prefix=f"{prefix}:ratelimit",
            windows=windows,
            client_name=name,
        )
        presence = RedisPresence(
            settings.redis_url, prefix=f"{prefix}:presence", ttl=ttl, client_name=name
        )
        # Three sweeps per ttl: an `offline` comes at most ttl / 3 after the expiry.
        return cls(
            broker,
            limiter,
            presence,
            typing_ttl,
            sweep_interval=ttl / 3,
            limits=limits,
        )

    async def run(self) -> None:
        """Sweep expired presence until cancelled (or wait, when nothing expires)."""
        if self.sweep_interval is None:
            await asyncio.Event().wait()
        else:
            await sweep_presence(
                self.presence, self.broker, interval=self.sweep_interval
            )

    async def close(self) -> None:
        await self.limiter.close()
        await self.presence.close()


@contextlib.asynccontextmanager
async def chat_runtime(
    settings: Settings, broker: Broker, *, typing_ttl: float | None = None
) -> AsyncIterator[ChatRuntime]:
    """The chat's service, from start-up to shutdown (a kit ServiceFactory).

    Sweeps expired presence while it runs (restarted by the kit if it crashes) and
    closes the runtime's Redis clients when the app stops.
    """
    runtime = ChatRuntime.from_settings(settings, broker, typing_ttl=typing_ttl)

    async def sweep(broker: Broker, settings: Settings) -> None:
        await runtime.run()

    try:
        async with run_background([sweep], broker, settings):
            yield runtime
    finally:
        await runtime.close()


def runtime_of(ctx: RequestContext) -> ChatRuntime:
    """The ChatRuntime of the app serving this request."""
    return ctx.service(ChatRuntime)
