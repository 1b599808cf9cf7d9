"""Batch functions for the per-request DataLoaders: one SELECT per batch of keys.

Each runs inside `tenant_transaction` for the caller's tenant, so a key from another
tenant simply matches nothing: NotFound in its slot for by-id loads, an empty list
for one-to-many loads. A caller without a tenant sees nothing at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from subgraphs.inventory.errors import NotFound
from subgraphs.inventory.models import Farm, OrderLine, Product, StockLevel
from subgraphs.inventory.tenancy import tenant_transaction
from subgraphs.kit.loaders import BatchKeys

if TYPE_CHECKING:
    from tortoise.models import Model

    from subgraphs.kit.context import RequestContext

__all__ = [
    "load_farms",
    "load_farms_by_tenant",
    "load_order_lines",
    "load_products",
    "load_products_by_tenant",
    "load_stock_by_farm",
    "load_stock_by_product",
]

M = TypeVar("M", bound="Model")


async def _by_id(
    ctx: RequestContext, model: type[M], kind: str, keys: list[str]
) -> list[M | Exception]:
    batch = BatchKeys.of(keys)
    rows: list[M] = []
    if ctx.tenant_id and batch:
        async with tenant_transaction(ctx.tenant_id):
            rows = await model.filter(id__in=batch.ids)
    return batch.one_each(rows, lambda key: NotFound(kind, key))


async def _grouped(
    ctx: RequestContext,
    model: type[M],
    column: str,
    keys: list[str],
    order_by: tuple[str, ...],
) -> list[list[M] | Exception]:
    batch = BatchKeys.of(keys)
    rows: list[M] = []
    if ctx.tenant_id and batch:
        async with tenant_transaction(ctx.tenant_id):
            rows = await model.filter(**{f"{column}__in": batch.ids}).order_by(
                *order_by
            )
    return list(batch.grouped(rows, column))


async def load_products(
    ctx: RequestContext, keys: list[str]
) -> list[Product | Exception]:
    """Products by id, in key order."""
    return await _by_id(ctx, Product, "Product", keys)


async def load_farms(ctx: RequestContext, keys: list[str]) -> list[Farm | Exception]:
    """Farms by id, in key order."""
    return await _by_id(ctx, Farm, "Farm", keys)


async def load_stock_by_product(
    ctx: RequestContext, keys: list[str]
) -> list[list[StockLevel] | Exception]:
    """Each product's stock levels (one per farm holding it)."""
    return await _grouped(ctx, StockLevel, "product_id", keys, ("farm_id",))


async def load_stock_by_farm(
    ctx: RequestContext, keys: list[str]
) -> list[list[StockLevel] | Exception]:
    """Each farm's stock levels (one per product it holds)."""
    return await _grouped(ctx, StockLevel, "farm_id", keys, ("product_id",))


async def load_order_lines(
    ctx: RequestContext, keys: list[str]
) -> list[list[OrderLine] | Exception]:
    """Each order's lines."""
    return await _grouped(ctx, OrderLine, "order_id", keys, ("id",))


async def load_farms_by_tenant(
    ctx: RequestContext, keys: list[str]
) -> list[list[Farm] | Exception]:
    """Each tenant's farms; only the caller's own tenant has any."""
    own = [k if k == ctx.tenant_id else "" for k in keys]
    if not any(own) or not ctx.tenant_id:
        return [[] for _ in keys]
    async with tenant_transaction(ctx.tenant_id):
        farms = await Farm.all().order_by("name", "id")
    return [list(farms) if k else [] for k in own]


async def load_products_by_tenant(
    ctx: RequestContext, keys: list[str]
) -> list[list[Product] | Exception]:
    """Each tenant's products; only the caller's own tenant has any."""
    own = [k if k == ctx.tenant_id else "" for k in keys]
    if not any(own) or not ctx.tenant_id:
        return [[] for _ in keys]
    async with tenant_transaction(ctx.tenant_id):
        products = await Product.all().order_by("sku")
    return [list(products) if k else [] for k in own]
