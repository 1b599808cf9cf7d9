"""What the chat resolvers share within one app: broker, rate limiter, presence.

Redis-backed when settings.redis_url is set (shared across processes), in memory
otherwise. One ChatRuntime per app, kept on `app.state.chat`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .presence import MemoryPresence, Presence, RedisPresence
from .ratelimit import MESSAGE_WINDOWS, MemoryRateLimiter, RateLimiter, RedisRateLimiter
from .typing_indicators import DEFAULT_TYPING_TTL

if TYPE_CHECKING:
    from subgraphs.kit.context import RequestContext
    from subgraphs.kit.pubsub import Broker
    from subgraphs.kit.settings import Settings

    from .ratelimit import Window

__all__ = ["ChatRuntime", "runtime_of"]


@dataclass(frozen=True, slots=True)
class ChatRuntime:
    broker: Broker
    limiter: RateLimiter
    presence: Presence
    typing_ttl: float = DEFAULT_TYPING_TTL

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        broker: Broker,
        *,
        windows: tuple[Window, ...] = MESSAGE_WINDOWS,
        typing_ttl: float | None = None,
    ) -> ChatRuntime:
        """CHAT_TYPING_TTL and CHAT_PRESENCE_TTL (seconds) tune the realtime parts."""
        if typing_ttl is None:
            typing_ttl = float(os.environ.get("CHAT_TYPING_TTL") or DEFAULT_TYPING_TTL)
        limiter: RateLimiter
        presence: Presence
        if settings.redis_url:
            prefix = f"{settings.redis_prefix}chat"
            limiter = RedisRateLimiter(
                settings.redis_url, prefix=f"{prefix}:ratelimit", windows=windows
            )
            presence = RedisPresence(
                settings.redis_url,
                prefix=f"{prefix}:presence",
                ttl=float(os.environ.get("CHAT_PRESENCE_TTL") or 30.0),
            )
        else:
            limiter = MemoryRateLimiter(windows)
            presence = MemoryPresence()
        return cls(broker, limiter, presence, typing_ttl)

    async def close(self) -> None:
        await self.limiter.close()
        await self.presence.close()


def runtime_of(ctx: RequestContext) -> ChatRuntime:
    """The ChatRuntime of the app serving this request, created on first use."""
    request = ctx.request
    if request is None:
        raise RuntimeError("expected a request in the context, got None")
    state = request.app.state
    runtime: ChatRuntime | None = getattr(state, "chat", None)
    if runtime is None:
        if ctx.broker is None:
            raise RuntimeError("expected a broker in the context, got None")
        runtime = ChatRuntime.from_settings(ctx.settings, ctx.broker)
        state.chat = runtime
    return runtime
