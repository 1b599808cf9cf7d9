"""A message's send on PostgreSQL in two statements (issue 14: 1,000 messages a second).

`messages.send_message` on PostgreSQL asks two statements of the connection the
kit's mutation transaction holds (or of the pool, outside a mutation), written by
hand instead of built by Tortoise, whose query building cost more CPU than the rest
of the send together:

1. `check_send`: does the conversation exist, may the sender see it
   (access.visible_conversation_sql, the same rule as `visible_conversations`),
   did this sender already store a message under this client id (and where), and
   is the message replied to in this conversation. One row, always.
2. `store_message`: one statement with data-modifying CTEs. It locks the
   conversation row (FOR UPDATE: concurrent senders queue on it, so seq has no gap
   and no duplicate), inserts the message with the next seq unless the sender's
   client id is taken (ON CONFLICT DO NOTHING: a concurrent retry of the same send
   that committed first, or is still running and then commits, wins), and only
   when the message went in moves the conversation's last_seq/last_message_id/
   last_message_at and upserts the sender's participant row (read and delivered
   up to their own message, accepted; created on a first send). A single
   statement is atomic on its own, in the kit's transaction or not, so no
   savepoint is needed either.

SQLite cannot modify data in a CTE: it keeps the Tortoise path in messages.py.
Both paths pass the same tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from subgraphs.chat.access import visible_conversation_sql
from subgraphs.chat.validation import attachment_columns

if TYPE_CHECKING:
    import uuid
    from datetime import datetime

    from tortoise.backends.base.client import BaseDBAsyncClient

    from subgraphs.chat.validation import Attachment
    from subgraphs.kit.principal import Principal

__all__ = ["SendCheck", "check_send", "store_message"]


@dataclass(frozen=True, slots=True)
class SendCheck:
    """What `check_send` found: the conversation, access, a stored retry, a reply."""

    found: bool
    visible: bool
    # The message this sender stored under this client id already, and where.
    existing_id: uuid.UUID | None
    existing_conversation_id: uuid.UUID | None
    reply_found: bool


async def check_send(
    db: BaseDBAsyncClient,
    viewer: Principal,
    conversation_id: uuid.UUID,
    client_id: str | None,
    reply_to_id: uuid.UUID | None,
) -> SendCheck:
    """One statement (module docstring, 1)."""
    values: list[object] = [conversation_id]

    def bind(value: object) -> str:
        values.append(value)
        return f"${len(values)}"

    visible = visible_conversation_sql(viewer, "c", bind)
    existing, join = "NULL::uuid AS existing_id, NULL::uuid AS existing_in", ""
    if client_id is not None:
        existing = "m.id AS existing_id, m.conversation_id AS existing_in"
        join = (
            f" LEFT JOIN chat_message m ON m.sender_id = {bind(viewer.user_id)} "
            f"AND m.client_id = {bind(client_id)}"
        )
    reply = "FALSE"
    if reply_to_id is not None:
        reply = (
            "EXISTS (SELECT 1 FROM chat_message r "
            f"WHERE r.id = {bind(reply_to_id)} AND r.conversation_id = c.id)"
        )
    rows = await db.execute_query_dict(
        f"SELECT c.id IS NOT NULL AS found, COALESCE({visible}, FALSE) AS visible, "
        f"{existing}, COALESCE({reply}, FALSE) AS reply_found "
        "FROM (SELECT 1) AS one LEFT JOIN chat_conversation c ON c.id = $1"
        f"{join}",
        values,
    )
    row = rows[0]
    return SendCheck(
        found=row["found"],
        visible=row["visible"],
        existing_id=row["existing_id"],
        existing_conversation_id=row["existing_in"],
        reply_found=row["reply_found"],
    )


_STORE = """
WITH locked AS (
    SELECT last_seq + 1 AS seq FROM chat_conversation WHERE id = $1 FOR UPDATE
), inserted AS (
    INSERT INTO chat_message (
        id, conversation_id, seq, sender_id, client_id, text, attachment_kind,
        attachment_url, attachment_size, attachment_content_type,
        attachment_duration, reply_to_id, edited, deleted, pinned, created_at,
        edited_at
    )
    SELECT $2::uuid, $1::uuid, locked.seq, $3::varchar, $4::varchar, $5::text,
        $6::varchar, $7::varchar, $8::bigint, $9::varchar, $10::float8,
        $11::uuid, FALSE, FALSE, FALSE, $12::timestamptz, NULL
    FROM locked
    ON CONFLICT (sender_id, client_id) DO NOTHING
    RETURNING seq
), moved AS (
    UPDATE chat_conversation
    SET last_seq = inserted.seq, last_message_id = $2::uuid,
        last_message_at = $12::timestamptz
    FROM inserted
    WHERE chat_conversation.id = $1
), participant AS (
    INSERT INTO chat_participant (
        conversation_id, user_id, accepted, read_seq, delivered_seq, joined_at
    )
    SELECT $1::uuid, $3::varchar, TRUE, inserted.seq, inserted.seq, $12::timestamptz
    FROM inserted
    ON CONFLICT (conversation_id, user_id) DO UPDATE
    SET read_seq = EXCLUDED.read_seq, delivered_seq = EXCLUDED.delivered_seq,
        accepted = TRUE
)
SELECT seq FROM inserted
"""


async def store_message(
    db: BaseDBAsyncClient,
    *,
    message_id: uuid.UUID,
    conversation_id: uuid.UUID,
    sender_id: str,
    client_id: str | None,
    text: str,
    attachment: Attachment | None,
    reply_to_id: uuid.UUID | None,
    created_at: datetime,
) -> int | None:
    """One statement (module docstring, 2): the message's seq, or None when
    nothing was stored (the client id is taken, or the conversation is gone)."""
    values: list[object] = [
        conversation_id,
        message_id,
        sender_id,
        client_id,
        text,
        *attachment_columns(attachment).values(),  # $6-$10, in this order
        reply_to_id,
        created_at,
    ]
    rows = await db.execute_query_dict(_STORE, values)
    return int(rows[0]["seq"]) if rows else None
