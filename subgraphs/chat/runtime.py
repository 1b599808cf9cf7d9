"""What the chat resolvers share within one app: broker, rate limiter, presence.

Redis-backed when settings.redis_url is set (shared across processes), in memory
otherwise. The runtime lives as long as the app's lifespan: `run_chat_runtime` is the
chat's background task (SubgraphSpec.background), which the kit starts at start-up
and cancels at shutdown, standalone or embedded; it sweeps expired presence while it
runs and closes the Redis clients when it ends. One runtime per broker (one broker
per app, or per embedding).
"""

from __future__ import annotations

import asyncio
import os
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .presence import MemoryPresence, Presence, RedisPresence, sweep_presence
from .ratelimit import MESSAGE_WINDOWS, MemoryRateLimiter, RateLimiter, RedisRateLimiter
from .typing_indicators import DEFAULT_TYPING_TTL

if TYPE_CHECKING:
    from subgraphs.kit.context import RequestContext
    from subgraphs.kit.pubsub import Broker
    from subgraphs.kit.settings import Settings

    from .ratelimit import Window

__all__ = [
    "ChatRuntime",
    "install_runtime",
    "run_chat_runtime",
    "running_runtime",
    "runtime_of",
]

# The runtime of each broker's chat app. Weak: a broker dropped by a test or an
# embedding that never started takes its runtime along.
_RUNTIMES: weakref.WeakKeyDictionary[Broker, ChatRuntime] = weakref.WeakKeyDictionary()


@dataclass(frozen=True, slots=True)
class ChatRuntime:
    broker: Broker
    limiter: RateLimiter
    presence: Presence
    typing_ttl: float = DEFAULT_TYPING_TTL
    # Seconds between presence sweeps; None when nothing can expire (in memory).
    sweep_interval: float | None = None

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
        if not settings.redis_url:
            return cls(broker, MemoryRateLimiter(windows), MemoryPresence(), typing_ttl)
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
        return cls(broker, limiter, presence, typing_ttl, sweep_interval=ttl / 3)

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


def install_runtime(runtime: ChatRuntime) -> ChatRuntime:
    """Make `runtime` the one of its broker (create_app uses it for its options)."""
    _RUNTIMES[runtime.broker] = runtime
    return runtime


def running_runtime(broker: Broker, settings: Settings) -> ChatRuntime:
    """The runtime of `broker`'s chat app; made from `settings` if there is none yet."""
    runtime = _RUNTIMES.get(broker)
    if runtime is None:
        runtime = install_runtime(ChatRuntime.from_settings(settings, broker))
    return runtime


async def run_chat_runtime(broker: Broker, settings: Settings) -> None:
    """The chat's background task: its runtime from start-up to shutdown.

    Runs the presence sweeper; when cancelled (shutdown) or crashed, forgets the
    runtime and closes its Redis clients, so the kit's restart makes a fresh one.
    """
    runtime = running_runtime(broker, settings)
    try:
        await runtime.run()
    finally:
        if _RUNTIMES.get(broker) is runtime:
            del _RUNTIMES[broker]
        await runtime.close()


def runtime_of(ctx: RequestContext) -> ChatRuntime:
    """The ChatRuntime of the app serving this request.

    Normally made at start-up by run_chat_runtime; a request that comes before that
    task took its first step makes it, and the task adopts it.
    """
    if ctx.broker is None:
        raise RuntimeError("expected a broker in the context, got None")
    return running_runtime(ctx.broker, ctx.settings)
