"""Message search within the conversations the caller may see.

PostgreSQL: full text (`to_tsvector('simple', text) @@ to_tsquery(...)`, served by the
GIN index of migration 0002), every word must match, the last one as a prefix.
SQLite: every word as a case-insensitive LIKE. Either way the access filter is part of
the same SQL statement.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tortoise.expressions import Q, RawSQL, Subquery

from subgraphs.chat.access import visible_conversations
from subgraphs.chat.errors import InvalidMessage
from subgraphs.chat.models import Conversation, Message

if TYPE_CHECKING:
    from subgraphs.kit.principal import Principal

__all__ = ["MAX_RESULTS", "search_messages", "search_terms"]

MAX_RESULTS = 100
_WORD = re.compile(r"\w+", re.UNICODE)


def search_terms(query: str) -> list[str]:
    """The words of `query`: letters, digits and underscores only (safe in SQL text)."""
    return _WORD.findall(query.lower())[:10]


def _tsquery(words: list[str]) -> str:
    # Words are \w+ only, so they cannot close the literal or inject an operator.
    parts = [*words[:-1], f"{words[-1]}:*"]
    return " & ".join(parts)


async def search_messages(
    viewer: Principal,
    query: str,
    *,
    conversation_id: str | None = None,
    first: int = 20,
) -> list[Message]:
    """Messages (not deleted) matching every word of `query`, newest first."""
    words = search_terms(query)
    if not words:
        raise InvalidMessage("search query has no words", field="query")
    visible = Subquery(Conversation.filter(visible_conversations(viewer)).values("id"))
    messages = Message.filter(conversation_id__in=visible, deleted=False)
    if conversation_id is not None:
        messages = messages.filter(conversation_id=conversation_id)
    if Message._meta.db.capabilities.dialect == "postgres":
        match = RawSQL(
            "to_tsvector('simple', \"text\") @@ "
            f"to_tsquery('simple', '{_tsquery(words)}')"
        )
        messages = messages.annotate(matches=match).filter(matches=True)
    else:
        messages = messages.filter(Q(*(Q(text__icontains=w) for w in words)))
    first = max(0, min(first, MAX_RESULTS))
    return await messages.order_by("-created_at", "-id").limit(first)
