"""PostgreSQL row level security on every inventory table (a no-op on SQLite).

Rows are visible only when `tenant_id` equals the transaction's `agora.tenant_id`
setting, for the `agora_inventory_tenant` role that `tenant_transaction` switches to.
The connecting (owner) role keeps full access for migrations and the expiry sweep.
A later migration adding a table must grant it to the role and give it the same
policy; tests/integration/inventory checks every inventory table has one.
"""

from __future__ import annotations

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

TABLES = (
    "inventory_farm",
    "inventory_product",
    "inventory_stock_level",
    "inventory_order",
    "inventory_order_line",
    "inventory_reservation",
    "inventory_stock_movement",
)
ROLE = "agora_inventory_tenant"
SETTING = "agora.tenant_id"

CREATE_ROLE = f"""
DO $$
BEGIN
    CREATE ROLE {ROLE} NOLOGIN;
EXCEPTION
    WHEN duplicate_object OR unique_violation OR insufficient_privilege THEN NULL;
END
$$;
"""

GRANT_ROLE = f"""
DO $$
BEGIN
    IF to_regrole('{ROLE}') IS NOT NULL THEN
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO {ROLE}', current_schema());
        EXECUTE format(
            'GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO {ROLE}',
            '{", ".join(TABLES)}'
        );
    END IF;
END
$$;
"""


def _policy(table: str) -> str:
    check = f"tenant_id = current_setting('{SETTING}', true)"
    return (
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY; "
        f"CREATE POLICY tenant_isolation ON {table} "
        f"USING ({check}) WITH CHECK ({check});"
    )


async def enable_row_level_security(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    if client.capabilities.dialect != "postgres":
        return
    await client.execute_script(CREATE_ROLE)
    await client.execute_script(GRANT_ROLE)
    for table in TABLES:
        await client.execute_script(_policy(table))


async def disable_row_level_security(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    if client.capabilities.dialect != "postgres":
        return
    for table in TABLES:
        await client.execute_script(
            f"DROP POLICY IF EXISTS tenant_isolation ON {table}; "
            f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;"
        )


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]

    operations = [
        ops.RunPython(enable_row_level_security, disable_row_level_security),
    ]
