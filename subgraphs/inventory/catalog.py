"""Farms and the product catalogue of a tenant: create, update, list, page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tortoise.exceptions import IntegrityError

from subgraphs.inventory.errors import Conflict, InvalidInput, NotFound, UnknownSku
from subgraphs.inventory.models import Farm, FarmStatus, Product
from subgraphs.inventory.tenancy import require_admin, tenant_transaction
from subgraphs.inventory.validation import (
    PriceTier,
    parse_price_tiers,
    require_id,
    require_text,
    require_timezone,
)
from subgraphs.kit import pagination

if TYPE_CHECKING:
    from subgraphs.kit.principal import Principal

__all__ = [
    "MAX_PAGE_SIZE",
    "ProductFilter",
    "ProductPage",
    "create_farm",
    "create_product",
    "decode_cursor",
    "encode_cursor",
    "list_farms",
    "list_products",
    "product_by_sku",
    "update_product",
]

MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class ProductFilter:
    """Narrowing of `products`: exact category, and a case-insensitive name search."""

    category: str | None = None
    search: str | None = None


@dataclass(frozen=True, slots=True)
class ProductPage:
    """One page of products ordered by SKU; `end_cursor` continues after it."""

    products: list[Product]
    has_next_page: bool
    end_cursor: str | None


def encode_cursor(sku: str) -> str:
    return pagination.encode_cursor("sku", sku)


def decode_cursor(cursor: str) -> str:
    """The SKU a cursor points after; InvalidInput for anything not made by us."""
    sku = pagination.decode_cursor("sku", cursor)
    if sku is None:
        raise InvalidInput("after is not a valid cursor", field="after")
    return sku


async def create_farm(
    caller: Principal, *, name: str, location: str = "", timezone: str = "UTC"
) -> Farm:
    """A new active farm of the caller's tenant (tenant admins only).

    Raises InvalidInput (empty name, unknown timezone), Conflict (name taken).
    """
    require_admin(caller)
    clean_name = require_text("name", name, max_length=200)
    zone = require_timezone(timezone)
    try:
        async with tenant_transaction(caller.tenant_id):
            return await Farm.create(
                tenant_id=caller.tenant_id,
                name=clean_name,
                location=location.strip()[:200],
                timezone=zone,
                status=FarmStatus.ACTIVE,
            )
    except IntegrityError as error:
        raise Conflict(f"a farm named {clean_name!r} exists") from error


async def list_farms(caller: Principal) -> list[Farm]:
    """The caller's tenant's farms, by name."""
    async with tenant_transaction(caller.tenant_id):
        return await Farm.all().order_by("name", "id")


async def create_product(
    caller: Principal,
    *,
    sku: str,
    name: str,
    category: str = "",
    unit: str = "piece",
    currency: str = "EUR",
    price_tiers: list[PriceTier],
) -> Product:
    """A new product of the caller's tenant (tenant admins only).

    Raises InvalidInput, InvalidPriceTier, Conflict (SKU taken in this tenant).
    """
    require_admin(caller)
    clean_sku = require_text("sku", sku, max_length=64)
    clean_name = require_text("name", name, max_length=200)
    clean_unit = require_text("unit", unit, max_length=32)
    tiers = parse_price_tiers(price_tiers)
    try:
        async with tenant_transaction(caller.tenant_id):
            return await Product.create(
                tenant_id=caller.tenant_id,
                sku=clean_sku,
                name=clean_name,
                category=category.strip()[:100],
                unit=clean_unit,
                currency=_currency(currency),
                price_tiers=[tier.to_json() for tier in tiers],
            )
    except IntegrityError as error:
        raise Conflict(f"SKU {clean_sku!r} is taken") from error


async def update_product(
    caller: Principal,
    product_id: object,
    *,
    name: str | None = None,
    category: str | None = None,
    unit: str | None = None,
    price_tiers: list[PriceTier] | None = None,
) -> Product:
    """Change the given fields of a product (tenant admins only); None keeps a field.

    Raises NotFound, InvalidInput, InvalidPriceTier; nothing changes on error.
    """
    require_admin(caller)
    changes: dict[str, object] = {}
    if name is not None:
        changes["name"] = require_text("name", name, max_length=200)
    if category is not None:
        changes["category"] = category.strip()[:100]
    if unit is not None:
        changes["unit"] = require_text("unit", unit, max_length=32)
    if price_tiers is not None:
        changes["price_tiers"] = [t.to_json() for t in parse_price_tiers(price_tiers)]
    key = require_id("Product", product_id)
    async with tenant_transaction(caller.tenant_id):
        product = await Product.get_or_none(id=key)
        if product is None:
            raise NotFound("Product", str(product_id))
        if changes:
            product.update_from_dict(changes)
            await product.save(update_fields=[*changes, "updated_at"])
        return product


async def product_by_sku(caller: Principal, sku: str) -> Product:
    """The caller's tenant's product with `sku`; UnknownSku when there is none."""
    async with tenant_transaction(caller.tenant_id):
        product = await Product.get_or_none(sku=sku.strip())
    if product is None:
        raise UnknownSku(sku)
    return product


async def list_products(
    caller: Principal,
    *,
    filter: ProductFilter | None = None,
    first: int = 20,
    after: str | None = None,
) -> ProductPage:
    """A page of the caller's tenant's products, ordered by SKU.

    Raises InvalidInput for `first` outside 1..MAX_PAGE_SIZE or a foreign cursor.
    """
    if not 0 < first <= MAX_PAGE_SIZE:
        raise InvalidInput(f"first must be 1 to {MAX_PAGE_SIZE}", field="first")
    async with tenant_transaction(caller.tenant_id):
        query = Product.all()
        if filter is not None and filter.category:
            query = query.filter(category=filter.category)
        if filter is not None and filter.search:
            query = query.filter(name__icontains=filter.search.strip())
        if after is not None:
            query = query.filter(sku__gt=decode_cursor(after))
        rows = await query.order_by("sku").limit(first + 1)
    page = rows[:first]
    return ProductPage(
        products=page,
        has_next_page=len(rows) > first,
        end_cursor=encode_cursor(page[-1].sku) if page else None,
    )


def _currency(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise InvalidInput(
            "currency must be a 3-letter ISO 4217 code", field="currency"
        )
    return code
