"""Batch functions for the chat DataLoaders: one SQL statement for any number of keys.

Each takes the request context and the keys, and returns one value per key in key
order, with an exception in the slot of a key that matches nothing. Access rules are
part of the statement, so a caller never loads what it may not see.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tortoise.expressions import Q, Subquery

from subgraphs.chat.access import visible_complaints, visible_conversations
from subgraphs.chat.conversations import total_unread_counts, unread_counts
from subgraphs.chat.errors import (
    ComplaintNotFound,
    ConversationNotFound,
    MessageNotFound,
)
from subgraphs.chat.messages import MAX_MESSAGES_PAGE, MessagePage
from subgraphs.chat.models import (
    Complaint,
    Conversation,
    Message,
    Participant,
    Reaction,
)
from subgraphs.kit.loaders import BatchKeys, parse_uuids
from subgraphs.kit.principal import Principal

if TYPE_CHECKING:
    from subgraphs.kit.context import RequestContext

__all__ = [
    "PageKey",
    "ReactionCount",
    "load_complaints",
    "load_conversations",
    "load_conversations_of_complaints",
    "load_message_pages",
    "load_messages",
    "load_participants",
    "load_reaction_counts",
    "load_total_unread",
    "load_unread_counts",
]


@dataclass(frozen=True, slots=True)
class ReactionCount:
    emoji: str
    count: int
    reacted_by_me: bool


async def load_conversations(
    ctx: RequestContext, keys: list[str]
) -> list[Conversation | Exception]:
    """Conversations the caller may see, by id."""
    viewer = Principal.from_context(ctx)
    batch = BatchKeys.of(keys)
    rows = await Conversation.filter(visible_conversations(viewer), id__in=batch.ids)
    return batch.one_each(rows, ConversationNotFound)


async def load_conversations_of_complaints(
    ctx: RequestContext, keys: list[str]
) -> list[Conversation | Exception]:
    """The conversation of each complaint, by complaint id."""
    batch = BatchKeys.of(keys)
    rows = await Conversation.filter(complaint_id__in=batch.ids)
    return batch.one_each(rows, ConversationNotFound, column="complaint_id")


async def load_messages(
    ctx: RequestContext, keys: list[str]
) -> list[Message | Exception]:
    """Messages in conversations the caller may see, by id."""
    viewer = Principal.from_context(ctx)
    batch = BatchKeys.of(keys)
    visible = Subquery(Conversation.filter(visible_conversations(viewer)).values("id"))
    rows = await Message.filter(id__in=batch.ids, conversation_id__in=visible)
    return batch.one_each(rows, MessageNotFound)


async def load_complaints(
    ctx: RequestContext, keys: list[str]
) -> list[Complaint | Exception]:
    """Complaints the caller may see (or whose conversation the caller may see)."""
    viewer = Principal.from_context(ctx)
    batch = BatchKeys.of(keys)
    visible = Subquery(
        Conversation.filter(
            visible_conversations(viewer), complaint_id__isnull=False
        ).values("complaint_id")
    )
    rows = await Complaint.filter(
        visible_complaints(viewer) | Q(id__in=visible), id__in=batch.ids
    )
    return batch.one_each(rows, ComplaintNotFound)


async def load_participants(
    ctx: RequestContext, keys: list[str]
) -> list[list[Participant] | Exception]:
    """Participants of each conversation (already checked visible), oldest first."""
    batch = BatchKeys.of(keys)
    rows = await Participant.filter(conversation_id__in=batch.ids).order_by("id")
    return list(batch.grouped(rows, "conversation_id"))


async def load_unread_counts(
    ctx: RequestContext, keys: list[str]
) -> list[int | Exception]:
    """The caller's unread messages per conversation."""
    user_id = ctx.require_user()
    parsed = parse_uuids(keys)
    counts = await unread_counts(user_id, [str(v) for v in set(parsed.values())])
    return [counts.get(str(parsed.get(key)), 0) for key in keys]


async def load_total_unread(
    ctx: RequestContext, keys: list[str]
) -> list[int | Exception]:
    """Unread messages over all conversations, per user id."""
    counts = await total_unread_counts(list(set(keys)))
    return [counts.get(key, 0) for key in keys]


async def load_reaction_counts(
    ctx: RequestContext, keys: list[str]
) -> list[list[ReactionCount] | Exception]:
    """Reactions of each message, grouped by emoji in order of first use."""
    parsed = parse_uuids(keys)
    rows = await Reaction.filter(message_id__in=list(set(parsed.values()))).order_by(
        "id"
    )
    counts: dict[uuid.UUID, Counter[str]] = defaultdict(Counter)
    mine: set[tuple[uuid.UUID, str]] = set()
    for row in rows:
        message_id = row.message_id
        counts[message_id][row.emoji] += 1
        if row.user_id == ctx.user_id:
            mine.add((message_id, row.emoji))
    result: list[list[ReactionCount] | Exception] = []
    for key in keys:
        wanted = parsed.get(key)
        per_emoji = counts.get(wanted, Counter()) if wanted else Counter()
        result.append(
            [ReactionCount(e, n, (wanted, e) in mine) for e, n in per_emoji.items()]
        )
    return result


@dataclass(frozen=True, slots=True)
class PageKey:
    """One page of one conversation's messages: newest first, older than `before`."""

    conversation_id: str
    first: int
    before: int | None = None


async def load_message_pages(
    ctx: RequestContext, keys: list[PageKey]
) -> list[MessagePage | Exception]:
    """Pages of messages of conversations already visible to the caller.

    One statement per distinct (first, before), whatever the number of conversations:
    ROW_NUMBER() over each conversation keeps its newest `first + 1` rows.
    """
    groups: dict[tuple[int, int | None], set[uuid.UUID]] = defaultdict(set)
    for key in keys:
        parsed = parse_uuids([key.conversation_id])
        if parsed:
            first = max(0, min(key.first, MAX_MESSAGES_PAGE))
            groups[first, key.before].update(parsed.values())
    pages: dict[tuple[uuid.UUID, int, int | None], list[Message]] = defaultdict(list)
    for (first, before), conversation_ids in groups.items():
        # Every value below is a UUID or an int we made: safe to write into the SQL.
        ids = ", ".join(f"'{c}'" for c in sorted(conversation_ids))
        older = f" AND m.seq < {int(before)}" if before is not None else ""
        rows: list[Message] = await Message.raw(
            "SELECT * FROM (SELECT m.*, ROW_NUMBER() OVER ("
            "PARTITION BY m.conversation_id ORDER BY m.seq DESC) AS page_row "
            f"FROM chat_message m WHERE m.conversation_id IN ({ids}){older}) ranked "
            f"WHERE page_row <= {first + 1} ORDER BY seq DESC"
        )
        for row in rows:
            conversation_id = uuid.UUID(str(row.conversation_id))
            pages[conversation_id, first, before].append(row)
    result: list[MessagePage | Exception] = []
    for key in keys:
        parsed = parse_uuids([key.conversation_id])
        if not parsed:
            result.append(ConversationNotFound(key.conversation_id))
            continue
        first = max(0, min(key.first, MAX_MESSAGES_PAGE))
        rows = pages.get((parsed[key.conversation_id], first, key.before), [])
        result.append(MessagePage(tuple(rows[:first]), has_older=len(rows) > first))
    return result
