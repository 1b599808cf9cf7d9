"""A version on every stock level, moved by the database on each UPDATE (issue 14).

PostgreSQL: a BEFORE UPDATE trigger sets `version = OLD.version + 1`. The row lock an
UPDATE takes is held to the commit, so one level's versions are given and committed
in the same order, with no gap: a stockChanged subscriber that hears version n + 2
after n knows it missed one. SQLite: an AFTER UPDATE trigger does the same (writes
are serialised by the connection's transaction lock).
"""

from __future__ import annotations

from typing import Any

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION inventory_stock_level_version() RETURNS trigger AS $$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER inventory_stock_level_version
    BEFORE UPDATE ON inventory_stock_level
    FOR EACH ROW EXECUTE FUNCTION inventory_stock_level_version();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS inventory_stock_level_version ON inventory_stock_level;
DROP FUNCTION IF EXISTS inventory_stock_level_version();
"""
SQLITE_UP = """
CREATE TRIGGER inventory_stock_level_version
    AFTER UPDATE ON inventory_stock_level
    FOR EACH ROW WHEN NEW.version <= OLD.version
BEGIN
    UPDATE inventory_stock_level SET version = OLD.version + 1 WHERE id = NEW.id;
END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS inventory_stock_level_version;"


async def create_trigger(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    await client.execute_script(POSTGRES_UP if postgres else SQLITE_UP)


async def drop_trigger(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    await client.execute_script(POSTGRES_DOWN if postgres else SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0002_row_level_security")]

    operations = [
        ops.AddField(
            model_name="StockLevel",
            name="version",
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.RunPython(create_trigger, drop_trigger),
    ]
