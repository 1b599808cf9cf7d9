"""Typing indicators: published, never stored; each one expires on its own."""

from __future__ import annotations

from typing import TYPE_CHECKING

from subgraphs.chat.conversations import get_visible_conversation
from subgraphs.chat.events import TYPING, TypingChanged
from subgraphs.chat.limits import typing_may_publish

if TYPE_CHECKING:
    from subgraphs.chat.ratelimit import RateLimiter
    from subgraphs.kit.principal import Principal
    from subgraphs.kit.pubsub import Broker

__all__ = ["DEFAULT_TYPING_TTL", "set_typing"]

# How long an indicator lives after the last setTyping(true) without a refresh.
DEFAULT_TYPING_TTL = 5.0


async def set_typing(
    viewer: Principal,
    conversation_id: str,
    typing: bool,
    *,
    broker: Broker,
    ttl: float = DEFAULT_TYPING_TTL,
    limiter: RateLimiter | None = None,
) -> bool:
    """Tell the conversation the caller is (or stopped) typing; returns `typing`.

    With a limiter, at most one event per user and conversation each second is
    published (issue 12): the others are answered alike and dropped.
    """
    conversation = await get_visible_conversation(viewer, conversation_id)
    if limiter is not None and not await typing_may_publish(
        limiter, viewer.user_id, str(conversation.id)
    ):
        return typing
    await TYPING.publish(
        broker,
        str(conversation.id),
        TypingChanged(
            conversation_id=str(conversation.id),
            user_id=viewer.user_id,
            typing=typing,
            ttl=ttl,
        ),
    )
    return typing
