"""The tenant scope: no inventory query runs without one, and it never mixes tenants."""

from __future__ import annotations

import pytest

from subgraphs.inventory.errors import Forbidden, TenantScopeMissing
from subgraphs.inventory.models import Farm, Product
from subgraphs.inventory.tenancy import caller_from_context, tenant_transaction
from subgraphs.kit.context import RequestContext
from subgraphs.kit.errors import Unauthenticated
from subgraphs.kit.settings import Settings
from tests.unit.subgraphs.inventory.conftest import TENANT_A, TENANT_B


async def test_an_orm_query_outside_a_tenant_scope_refuses_to_run(
    inventory_db: Settings,
) -> None:
    with pytest.raises(TenantScopeMissing):
        await Product.all()
    with pytest.raises(TenantScopeMissing):
        await Farm.filter(name="x").update(name="y")


async def test_every_orm_query_in_a_scope_is_filtered_by_its_tenant(
    inventory_db: Settings,
) -> None:
    async with tenant_transaction(TENANT_A):
        sql = Product.filter(sku="X").sql()
        await Farm.create(tenant_id=TENANT_A, name="Mine")
    assert "tenant_id" in sql
    async with tenant_transaction(TENANT_B):
        assert await Farm.all().count() == 0
        assert await Farm.filter(name="Mine").update(name="Stolen") == 0
    async with tenant_transaction(TENANT_A):
        assert await Farm.all().values_list("name", flat=True) == ["Mine"]


async def test_a_scope_inside_another_tenants_scope_is_refused(
    inventory_db: Settings,
) -> None:
    async with tenant_transaction(TENANT_A):
        with pytest.raises(TenantScopeMissing):
            async with tenant_transaction(TENANT_B):
                pass


def test_a_request_without_user_or_tenant_gets_no_caller() -> None:
    with pytest.raises(Unauthenticated):
        caller_from_context(RequestContext(settings=Settings()))
    with pytest.raises(Forbidden):
        caller_from_context(RequestContext(settings=Settings(), user_id="u"))
    caller = caller_from_context(
        RequestContext(
            settings=Settings(),
            user_id="u",
            tenant_id=TENANT_A,
            roles=frozenset({"tenant_admin"}),
        )
    )
    assert (caller.tenant_id, caller.is_tenant_admin) == (TENANT_A, True)
