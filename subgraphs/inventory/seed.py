"""Demo data for the Green Farms tenant: two farms, a handful of products, stock.

Idempotent: fixed ids, and rows are created only when missing, so every start may
run it. Stock goes through the ledger like any other receipt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from tortoise.expressions import F

from subgraphs.inventory.ledger import record_movement
from subgraphs.inventory.models import (
    Farm,
    FarmStatus,
    MovementReason,
    Product,
    StockLevel,
)
from subgraphs.inventory.tenancy import tenant_transaction
from subgraphs.inventory.validation import PriceTier, PriceTierKind

if TYPE_CHECKING:
    from subgraphs.kit.settings import Settings

__all__ = ["GREEN_FARMS", "seed"]

GREEN_FARMS = "7d3c0a2e-0000-4000-8000-000000000002"
FARMER = "7d3c0a2e-0000-4000-8000-000000000104"

_PREFIX = "7d3c0a2e-0000-4000-8000-000000000"

FARMS = [
    (
        f"{_PREFIX}401",
        "Green Farms Hillside",
        "Bergstrasse 4, Heidelberg",
        "Europe/Berlin",
    ),
    (f"{_PREFIX}402", "Green Farms Riverside", "Am Ufer 12, Mannheim", "Europe/Berlin"),
]

# (id, sku, name, category, unit, retail cents, wholesale cents from 20 units)
PRODUCTS = [
    (f"{_PREFIX}501", "GF-TOM-1KG", "Vine tomatoes", "vegetables", "kg", 450, 360),
    (f"{_PREFIX}502", "GF-POT-5KG", "Potatoes", "vegetables", "bag", 650, 520),
    (f"{_PREFIX}503", "GF-EGG-10", "Free-range eggs", "eggs", "box", 399, 320),
    (f"{_PREFIX}504", "GF-APL-1KG", "Apples (Elstar)", "fruit", "kg", 320, 250),
    (f"{_PREFIX}505", "GF-HON-500", "Wildflower honey", "pantry", "jar", 890, 720),
]

# (farm index, product index, quantity)
STOCK = [(0, 0, 120), (0, 2, 60), (0, 4, 25), (1, 0, 40), (1, 1, 200), (1, 3, 150)]


async def seed(settings: Settings) -> None:
    """Create the Green Farms demo rows that are missing."""
    async with tenant_transaction(GREEN_FARMS):
        farms = []
        for farm_id, name, location, zone in FARMS:
            farm, _ = await Farm.get_or_create(
                id=UUID(farm_id),
                defaults={
                    "tenant_id": GREEN_FARMS,
                    "name": name,
                    "location": location,
                    "timezone": zone,
                    "status": FarmStatus.ACTIVE,
                },
            )
            farms.append(farm)
        products = []
        for product_id, sku, name, category, unit, retail, wholesale in PRODUCTS:
            tiers = [
                PriceTier(PriceTierKind.RETAIL, 1, retail),
                PriceTier(PriceTierKind.WHOLESALE, 20, wholesale),
            ]
            product, _ = await Product.get_or_create(
                id=UUID(product_id),
                defaults={
                    "tenant_id": GREEN_FARMS,
                    "sku": sku,
                    "name": name,
                    "category": category,
                    "unit": unit,
                    "price_tiers": [t.to_json() for t in tiers],
                },
            )
            products.append(product)
        for farm_index, product_index, quantity in STOCK:
            farm, product = farms[farm_index], products[product_index]
            level, created = await StockLevel.get_or_create(
                farm_id=farm.id,
                product_id=product.id,
                defaults={"tenant_id": GREEN_FARMS},
            )
            if not created:
                continue
            await StockLevel.filter(id=level.id).update(
                quantity=F("quantity") + quantity
            )
            await record_movement(
                level.id,
                reason=MovementReason.RECEIVED,
                quantity_delta=quantity,
                note="demo seed",
                actor_id=FARMER,
            )
