"""PostgreSQL row level security: the database itself keeps tenants apart."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from tortoise import Tortoise
from tortoise.exceptions import OperationalError
from tortoise.transactions import in_transaction

from subgraphs.inventory.catalog import create_product
from subgraphs.inventory.tenancy import CONNECTION, tenant_transaction
from subgraphs.inventory.validation import PriceTier, PriceTierKind
from subgraphs.kit.principal import Principal
from tests.integration.inventory.conftest import ON_POSTGRES
from tests.unit.subgraphs.inventory.conftest import TENANT_A, TENANT_B

if TYPE_CHECKING:
    from subgraphs.kit.settings import Settings

pytestmark = ON_POSTGRES

ADMIN_A = Principal(
    user_id="admin-a", tenant_id=TENANT_A, roles=frozenset({"tenant_admin"})
)
RETAIL = [PriceTier(PriceTierKind.RETAIL, 1, 100)]


async def _count_products(tenant_id: str) -> int:
    # Raw SQL, no tenant filter: only the policies stand between tenants here.
    async with tenant_transaction(tenant_id) as connection:
        rows = await connection.execute_query_dict(
            "SELECT count(*) AS n FROM inventory_product"
        )
    return int(rows[0]["n"])


async def test_unfiltered_sql_in_a_tenant_scope_sees_only_that_tenants_rows(
    postgres_inventory: Settings,
) -> None:
    await create_product(ADMIN_A, sku="A1", name="Apples", price_tiers=RETAIL)
    await create_product(ADMIN_A, sku="A2", name="Apricots", price_tiers=RETAIL)
    assert await _count_products(TENANT_A) == 2
    assert await _count_products(TENANT_B) == 0


async def test_a_tenant_scope_cannot_write_rows_of_another_tenant(
    postgres_inventory: Settings,
) -> None:
    with pytest.raises(OperationalError, match="row-level security"):
        async with tenant_transaction(TENANT_B) as connection:
            await connection.execute_query(
                "INSERT INTO inventory_farm (id, tenant_id, name, location, timezone,"
                " status, created_at) VALUES (gen_random_uuid(), $1, 'Stolen', '',"
                " 'UTC', 'ACTIVE', now())",
                [TENANT_A],
            )
    assert await _count_products(TENANT_A) == 0


async def test_the_tenant_setting_and_role_end_with_the_transaction(
    postgres_inventory: Settings,
) -> None:
    async with tenant_transaction(TENANT_A) as connection:
        inside = await connection.execute_query_dict(
            "SELECT current_setting('agora.tenant_id', true) AS tenant,"
            " current_user AS who"
        )
    assert inside == [{"tenant": TENANT_A, "who": "agora_inventory_tenant"}]
    # Pooled connections are reused: the next transaction must start clean.
    for _ in range(3):
        async with in_transaction(CONNECTION) as connection:
            after = await connection.execute_query_dict(
                "SELECT coalesce(current_setting('agora.tenant_id', true), '')"
                " AS tenant, current_user AS who"
            )
        assert after == [{"tenant": "", "who": "postgres"}]


async def test_every_inventory_table_has_the_tenant_policy(
    postgres_inventory: Settings,
) -> None:
    # Taken from the model registry, so a table added later without a policy fails.
    apps = Tortoise.apps
    assert apps is not None
    tables = {
        model._meta.db_table
        for model in apps.get_models_iterable()
        if model._meta.app == "inventory"
    }
    async with in_transaction(CONNECTION) as connection:
        rows = await connection.execute_query_dict(
            "SELECT tablename FROM pg_policies"
            " WHERE policyname = 'tenant_isolation' AND schemaname = current_schema()"
        )
    assert len(tables) == 7
    assert {row["tablename"] for row in rows} == tables
