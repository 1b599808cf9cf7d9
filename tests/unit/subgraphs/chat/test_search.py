"""searchMessages finds words only in the conversations the caller may see."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from subgraphs.chat.conversations import start_direct_conversation
from subgraphs.chat.errors import InvalidMessage
from subgraphs.chat.messages import delete_message, send_message
from subgraphs.chat.search import search_messages, search_terms

if TYPE_CHECKING:
    from subgraphs.chat.ratelimit import RateLimiter
    from subgraphs.kit.principal import Principal
    from subgraphs.kit.pubsub import Broker


async def test_search_matches_every_word_and_prefixes_the_last(
    citizen: Principal, conversation_id: str, broker: Broker, limiter: RateLimiter
) -> None:
    for text in ("Garbage truck never came", "The truck came today", "Thanks!"):
        await send_message(
            citizen, conversation_id, text, broker=broker, limiter=limiter
        )
    found = await search_messages(citizen, "truck cam")
    assert [m.text for m in found] == [
        "The truck came today",
        "Garbage truck never came",
    ]


async def test_search_never_returns_messages_of_conversations_the_caller_cannot_see(
    citizen: Principal,
    neighbour: Principal,
    conversation_id: str,
    broker: Broker,
    limiter: RateLimiter,
) -> None:
    await send_message(
        citizen, conversation_id, "secret drain issue", broker=broker, limiter=limiter
    )
    direct = await start_direct_conversation(neighbour, ["user-someone"])
    await send_message(
        neighbour, str(direct.id), "public drain talk", broker=broker, limiter=limiter
    )
    found = await search_messages(neighbour, "drain")
    assert [m.text for m in found] == ["public drain talk"]


async def test_deleted_messages_are_not_found(
    citizen: Principal, conversation_id: str, broker: Broker, limiter: RateLimiter
) -> None:
    message = await send_message(
        citizen, conversation_id, "wrong ward number", broker=broker, limiter=limiter
    )
    await delete_message(citizen, str(message.id), broker=broker)
    assert await search_messages(citizen, "ward") == []


async def test_a_query_without_words_is_bad_input(
    citizen: Principal, conversation_id: str
) -> None:
    with pytest.raises(InvalidMessage):
        await search_messages(citizen, "'; -- !?")


def test_search_terms_keep_only_word_characters() -> None:
    assert search_terms("Drain's 'blocked'; DROP--") == [
        "drain",
        "s",
        "blocked",
        "drop",
    ]
