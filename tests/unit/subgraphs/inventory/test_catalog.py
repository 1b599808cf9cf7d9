"""The catalogue: farms and products, their validation and paging."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from subgraphs.inventory.catalog import (
    ProductFilter,
    create_farm,
    create_product,
    list_farms,
    list_products,
    product_by_sku,
    update_product,
)
from subgraphs.inventory.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    InvalidPriceTier,
    UnknownSku,
)
from subgraphs.inventory.models import Product
from subgraphs.inventory.tenancy import tenant_transaction
from subgraphs.inventory.validation import PriceTier, PriceTierKind

if TYPE_CHECKING:
    from subgraphs.kit.principal import Principal

RETAIL = [PriceTier(PriceTierKind.RETAIL, 1, 100)]


async def _count(caller: Principal) -> int:
    async with tenant_transaction(caller.tenant_id):
        return await Product.all().count()


@pytest.mark.parametrize(
    "tiers",
    [
        [PriceTier(PriceTierKind.RETAIL, 1, -1)],
        [
            PriceTier(PriceTierKind.RETAIL, 1, 100),
            PriceTier(PriceTierKind.WHOLESALE, 0, 80),
        ],
        [PriceTier(PriceTierKind.WHOLESALE, 10, 80)],
        [
            PriceTier(PriceTierKind.RETAIL, 1, 100),
            PriceTier(PriceTierKind.RETAIL, 1, 90),
        ],
    ],
    ids=["negative-price", "zero-minimum", "no-retail", "duplicate"],
)
async def test_a_bad_price_tier_is_rejected_and_nothing_is_written(
    inventory_db: object, admin_a: Principal, tiers: list[PriceTier]
) -> None:
    with pytest.raises(InvalidPriceTier) as raised:
        await create_product(admin_a, sku="A", name="Apples", price_tiers=tiers)
    assert raised.value.extensions["code"] == "BAD_USER_INPUT"
    assert raised.value.extensions["field"] == "priceTiers"
    assert await _count(admin_a) == 0


async def test_a_sku_is_unique_per_tenant_not_per_platform(
    inventory_db: object, admin_a: Principal, admin_b: Principal
) -> None:
    await create_product(admin_a, sku="EGG-6", name="Eggs", price_tiers=RETAIL)
    await create_product(admin_b, sku="EGG-6", name="Eggs", price_tiers=RETAIL)
    with pytest.raises(Conflict):
        await create_product(admin_a, sku="EGG-6", name="More eggs", price_tiers=RETAIL)
    assert await _count(admin_a) == 1


async def test_members_cannot_change_the_catalogue(
    inventory_db: object, member_a: Principal
) -> None:
    with pytest.raises(Forbidden):
        await create_product(member_a, sku="A", name="Apples", price_tiers=RETAIL)
    with pytest.raises(Forbidden):
        await create_farm(member_a, name="Back Yard")


async def test_a_farm_needs_a_known_timezone(
    inventory_db: object, admin_a: Principal
) -> None:
    with pytest.raises(InvalidInput):
        await create_farm(admin_a, name="Moon Base", timezone="Mars/Olympus")
    farm = await create_farm(admin_a, name="Lakeside", timezone="Europe/Vienna")
    assert [f.id for f in await list_farms(admin_a)] == [farm.id]


async def test_an_unknown_sku_is_reported_as_such(
    inventory_db: object, admin_a: Principal, admin_b: Principal
) -> None:
    await create_product(admin_b, sku="B-ONLY", name="Beets", price_tiers=RETAIL)
    with pytest.raises(UnknownSku) as raised:
        await product_by_sku(admin_a, "B-ONLY")
    assert raised.value.extensions["code"] == "NOT_FOUND"


async def test_update_product_changes_only_the_given_fields(
    inventory_db: object, admin_a: Principal
) -> None:
    product = await create_product(
        admin_a, sku="P", name="Pears", category="fruit", price_tiers=RETAIL
    )
    updated = await update_product(admin_a, product.id, name="Nashi pears")
    assert (updated.name, updated.category, updated.sku) == (
        "Nashi pears",
        "fruit",
        "P",
    )
    with pytest.raises(InvalidPriceTier):
        await update_product(
            admin_a, product.id, price_tiers=[PriceTier(PriceTierKind.RETAIL, 1, -5)]
        )


async def test_products_page_by_sku_with_filters(
    inventory_db: object, admin_a: Principal
) -> None:
    for sku, name, category in [
        ("A1", "Apple", "fruit"),
        ("B1", "Bean", "veg"),
        ("C1", "Cherry", "fruit"),
        ("D1", "Date", "fruit"),
    ]:
        await create_product(
            admin_a, sku=sku, name=name, category=category, price_tiers=RETAIL
        )
    fruit = ProductFilter(category="fruit")
    first = await list_products(admin_a, filter=fruit, first=2)
    assert [p.sku for p in first.products] == ["A1", "C1"]
    assert first.has_next_page
    rest = await list_products(admin_a, filter=fruit, first=2, after=first.end_cursor)
    assert [p.sku for p in rest.products] == ["D1"]
    assert not rest.has_next_page
    found = await list_products(admin_a, filter=ProductFilter(search="ean"))
    assert [p.sku for p in found.products] == ["B1"]
    with pytest.raises(InvalidInput):
        await list_products(admin_a, first=0)
    with pytest.raises(InvalidInput):
        await list_products(admin_a, after="!!not-a-cursor")
