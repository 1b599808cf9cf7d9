"""The inventory subgraph: farms, products, stock levels, reservations and orders.

Domain functions take a kit `Principal` and run as its tenant; the GraphQL schema
(schema.py) is a thin layer over them, and app.py serves it (`SPEC`, `create_app`).
"""

from __future__ import annotations

from subgraphs.inventory.app import PORT, SPEC, create_app, sweep_expired_reservations
from subgraphs.inventory.catalog import (
    ProductFilter,
    ProductPage,
    create_farm,
    create_product,
    list_farms,
    list_products,
    product_by_sku,
    update_product,
)
from subgraphs.inventory.events import STOCK_BY_FARM, STOCK_BY_PRODUCT, StockChanged
from subgraphs.inventory.ledger import record_movement, replay
from subgraphs.inventory.orders import cancel_order, list_orders, place_order
from subgraphs.inventory.stock import (
    adjust_stock,
    expire_reservations,
    low_stock,
    receive_stock,
    release_reservation,
    reserve,
    stock_for_farm,
    stock_for_product,
)
from subgraphs.inventory.tenancy import (
    TenantManager,
    caller_from_context,
    require_admin,
    tenant_transaction,
)
from subgraphs.inventory.validation import PriceTier, PriceTierKind

__all__ = [
    "PORT",
    "SPEC",
    "STOCK_BY_FARM",
    "STOCK_BY_PRODUCT",
    "PriceTier",
    "PriceTierKind",
    "ProductFilter",
    "ProductPage",
    "StockChanged",
    "TenantManager",
    "adjust_stock",
    "caller_from_context",
    "cancel_order",
    "create_app",
    "create_farm",
    "create_product",
    "expire_reservations",
    "list_farms",
    "list_orders",
    "list_products",
    "low_stock",
    "place_order",
    "product_by_sku",
    "receive_stock",
    "record_movement",
    "release_reservation",
    "replay",
    "require_admin",
    "reserve",
    "stock_for_farm",
    "stock_for_product",
    "sweep_expired_reservations",
    "tenant_transaction",
    "update_product",
]
