"""Business search on PostgreSQL: a weighted tsvector with a GIN index, and pg_trgm.

The name weighs A and the description B, so a name match ranks above a description
match; `english` stems ("bakeries" finds "Bakery"). A trigram GIN index on the name
finds misspellings ("bakry"). pg_trgm is created in this subgraph's schema unless
the database has it already (then its schema is used: see search.py). SQLite has
neither and searches with LIKE (a no-op here).
"""

from __future__ import annotations

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

SEARCH_VECTOR = """
ALTER TABLE directory_business ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(name, '')), 'A')
        || setweight(to_tsvector('english', coalesce(description, '')), 'B')
    ) STORED;
CREATE INDEX directory_business_search ON directory_business USING GIN (search_vector);
CREATE INDEX directory_business_chamber ON directory_business (chamber_id, name);
"""

TRIGRAM_SCHEMA = "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'"


async def add_search(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    if client.capabilities.dialect != "postgres":
        return
    await client.execute_script(SEARCH_VECTOR)
    rows = await client.execute_query_dict(TRIGRAM_SCHEMA)
    if not rows:
        await client.execute_script("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        rows = await client.execute_query_dict(TRIGRAM_SCHEMA)
    schema = rows[0]["extnamespace"]
    await client.execute_script(
        "CREATE INDEX directory_business_name_trgm ON directory_business "
        f"USING GIN (lower(name) {schema}.gin_trgm_ops)"
    )


async def drop_search(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    if client.capabilities.dialect != "postgres":
        return
    await client.execute_script(
        "DROP INDEX IF EXISTS directory_business_name_trgm; "
        "DROP INDEX IF EXISTS directory_business_chamber; "
        "DROP INDEX IF EXISTS directory_business_search; "
        "ALTER TABLE directory_business DROP COLUMN IF EXISTS search_vector;"
    )


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]

    operations = [ops.RunPython(add_search, drop_search)]
