"""A full-text index on message text for searchMessages (PostgreSQL only)."""

from __future__ import annotations

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

# Must match the expression in subgraphs.chat.search, or the index is not used.
CREATE_INDEX = (
    "CREATE INDEX IF NOT EXISTS chat_message_text_search "
    "ON chat_message USING GIN (to_tsvector('simple', text))"
)


async def create_search_index(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        await client.execute_script(CREATE_INDEX)


async def drop_search_index(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        await client.execute_script("DROP INDEX IF EXISTS chat_message_text_search")


class Migration(migrations.Migration):
    dependencies = [("chat", "0001_initial")]

    operations = [ops.RunPython(create_search_index, drop_search_index)]
