"""Limits on the chat writes other than sending (issue 12, finding 8).

Each edit, reaction and pin is broadcast to every subscriber of the conversation,
so each has its own sliding windows per user, beside the message limits: a user at
their send limit could still flood a conversation with 5,000-character edits.
Typing indicators are coalesced instead of refused: at most one event per user per
conversation per second, the rest answered but not published.

Per minute (and ten times that per hour), from the environment:
CHAT_EDITS_PER_MINUTE (10), CHAT_REACTIONS_PER_MINUTE (30), CHAT_PINS_PER_MINUTE (10).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from subgraphs.chat.errors import ActionRateLimited, MessageRateLimited
from subgraphs.chat.ratelimit import Window

if TYPE_CHECKING:
    from collections.abc import Mapping

    from subgraphs.chat.ratelimit import RateLimiter

__all__ = ["ActionLimits", "limit_action", "typing_may_publish"]

# One typing event per user and conversation within this window.
TYPING_WINDOW = (Window(1, 1.0),)


def _windows(per_minute: int) -> tuple[Window, ...]:
    return (Window(per_minute, 60.0), Window(per_minute * 10, 3600.0))


@dataclass(frozen=True, slots=True)
class ActionLimits:
    """Windows of each limited action, by the name limit_action takes."""

    edits: tuple[Window, ...] = _windows(10)
    reactions: tuple[Window, ...] = _windows(30)
    pins: tuple[Window, ...] = _windows(10)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ActionLimits:
        env = os.environ if environ is None else environ

        def per_minute(name: str, default: int) -> tuple[Window, ...]:
            raw = env.get(name)
            try:
                value = int(raw) if raw else default
            except ValueError:
                raise ValueError(
                    f"{name} must be a whole number, got {raw!r}"
                ) from None
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {raw!r}")
            return _windows(value)

        return cls(
            edits=per_minute("CHAT_EDITS_PER_MINUTE", 10),
            reactions=per_minute("CHAT_REACTIONS_PER_MINUTE", 30),
            pins=per_minute("CHAT_PINS_PER_MINUTE", 10),
        )


async def limit_action(
    limiter: RateLimiter, limits: ActionLimits, action: str, user_id: str
) -> None:
    """Count one `action` ("edits", "reactions", "pins") of `user_id`; raises
    ActionRateLimited (RATE_LIMITED with retryAfter) when a window is full."""
    try:
        await limiter.hit(f"{action}:{user_id}", getattr(limits, action))
    except MessageRateLimited as refused:
        raise ActionRateLimited(
            action, refused.limit, refused.window, refused.retry_after
        ) from None


async def typing_may_publish(
    limiter: RateLimiter, user_id: str, conversation_id: str
) -> bool:
    """True for the first typing event of a user in a conversation each second."""
    try:
        await limiter.hit(f"typing:{user_id}:{conversation_id}", TYPING_WINDOW)
    except MessageRateLimited:
        return False
    return True
