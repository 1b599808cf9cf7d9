"""Tortoise models of the inventory subgraph (app label "inventory").

Every table carries `tenant_id` and every model's default manager is a
`TenantManager`, so a query built through the ORM is filtered by the caller's
tenant in SQL (see tenancy.py). Quantities are integers in the product's unit;
money is integer cents.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from subgraphs.inventory.tenancy import TenantManager

if TYPE_CHECKING:
    from uuid import UUID

__all__ = [
    "Farm",
    "FarmStatus",
    "MovementReason",
    "Order",
    "OrderLine",
    "OrderStatus",
    "Product",
    "Reservation",
    "ReservationStatus",
    "StockLevel",
    "StockMovement",
]

TENANT_ID_LENGTH = 64


class FarmStatus(StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


class ReservationStatus(StrEnum):
    ACTIVE = "ACTIVE"
    RELEASED = "RELEASED"
    EXPIRED = "EXPIRED"
    ORDERED = "ORDERED"


class OrderStatus(StrEnum):
    PLACED = "PLACED"
    CANCELLED = "CANCELLED"


class MovementReason(StrEnum):
    """Why a stock level changed; each value is one kind of ledger entry."""

    RECEIVED = "RECEIVED"
    ADJUSTED = "ADJUSTED"
    RESERVED = "RESERVED"
    RELEASED = "RELEASED"
    EXPIRED = "EXPIRED"
    ORDERED = "ORDERED"
    ORDER_CANCELLED = "ORDER_CANCELLED"


class Farm(Model):
    id = fields.UUIDField(primary_key=True)
    tenant_id = fields.CharField(max_length=TENANT_ID_LENGTH, db_index=True)
    name = fields.CharField(max_length=200)
    location = fields.CharField(max_length=200, default="")
    timezone = fields.CharField(max_length=64, default="UTC")
    status = fields.CharEnumField(FarmStatus, default=FarmStatus.ACTIVE)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        app = "inventory"
        table = "inventory_farm"
        unique_together = (("tenant_id", "name"),)
        manager = TenantManager()


class Product(Model):
    id = fields.UUIDField(primary_key=True)
    tenant_id = fields.CharField(max_length=TENANT_ID_LENGTH, db_index=True)
    sku = fields.CharField(max_length=64)
    name = fields.CharField(max_length=200)
    category = fields.CharField(max_length=100, default="")
    unit = fields.CharField(max_length=32, default="piece")
    currency = fields.CharField(max_length=3, default="EUR")
    # A list of validation.PriceTier.to_json() objects, cheapest last.
    price_tiers: fields.Field[list[dict[str, object]]] = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        app = "inventory"
        table = "inventory_product"
        unique_together = (("tenant_id", "sku"),)
        manager = TenantManager()


class StockLevel(Model):
    """How much of a product a farm holds, and how much of it is promised."""

    id = fields.UUIDField(primary_key=True)
    tenant_id = fields.CharField(max_length=TENANT_ID_LENGTH, db_index=True)
    farm: fields.ForeignKeyRelation[Farm] = fields.ForeignKeyField(
        "inventory.Farm", related_name="stock_levels", on_delete=fields.RESTRICT
    )
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "inventory.Product", related_name="stock_levels", on_delete=fields.RESTRICT
    )
    quantity = fields.IntField(default=0)
    reserved = fields.IntField(default=0)
    updated_at = fields.DatetimeField(auto_now=True)
    # Moved by the database on every UPDATE of the row (a trigger, migration 0003),
    # so committed changes of one level are numbered 1, 2, 3... in commit order;
    # stockChanged events carry it (subgraphs/inventory/streams.py).
    version = fields.BigIntField(default=0, db_default=0)

    farm_id: UUID
    product_id: UUID

    class Meta:
        app = "inventory"
        table = "inventory_stock_level"
        unique_together = (("tenant_id", "farm", "product"),)
        manager = TenantManager()

    @property
    def available(self) -> int:
        return self.quantity - self.reserved


class Order(Model):
    id = fields.UUIDField(primary_key=True)
    tenant_id = fields.CharField(max_length=TENANT_ID_LENGTH, db_index=True)
    buyer_id = fields.CharField(max_length=64)
    status = fields.CharEnumField(OrderStatus, default=OrderStatus.PLACED)
    currency = fields.CharField(max_length=3, default="EUR")
    total_cents = fields.BigIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    cancelled_at = fields.DatetimeField(null=True)

    class Meta:
        app = "inventory"
        table = "inventory_order"
        manager = TenantManager()


class OrderLine(Model):
    id = fields.UUIDField(primary_key=True)
    tenant_id = fields.CharField(max_length=TENANT_ID_LENGTH, db_index=True)
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "inventory.Order", related_name="lines", on_delete=fields.CASCADE
    )
    stock_level: fields.ForeignKeyRelation[StockLevel] = fields.ForeignKeyField(
        "inventory.StockLevel", related_name="order_lines", on_delete=fields.RESTRICT
    )
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "inventory.Product", related_name="order_lines", on_delete=fields.RESTRICT
    )
    farm: fields.ForeignKeyRelation[Farm] = fields.ForeignKeyField(
        "inventory.Farm", related_name="order_lines", on_delete=fields.RESTRICT
    )
    quantity = fields.IntField()
    unit_price_cents = fields.IntField()
    line_total_cents = fields.BigIntField()

    order_id: UUID
    stock_level_id: UUID
    product_id: UUID
    farm_id: UUID

    class Meta:
        app = "inventory"
        table = "inventory_order_line"
        manager = TenantManager()


class Reservation(Model):
    """Stock held for a user until `expires_at`, consumed by placing an order."""

    id = fields.UUIDField(primary_key=True)
    tenant_id = fields.CharField(max_length=TENANT_ID_LENGTH, db_index=True)
    user_id = fields.CharField(max_length=64)
    stock_level: fields.ForeignKeyRelation[StockLevel] = fields.ForeignKeyField(
        "inventory.StockLevel", related_name="reservations", on_delete=fields.RESTRICT
    )
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "inventory.Product", related_name="reservations", on_delete=fields.RESTRICT
    )
    farm: fields.ForeignKeyRelation[Farm] = fields.ForeignKeyField(
        "inventory.Farm", related_name="reservations", on_delete=fields.RESTRICT
    )
    quantity = fields.IntField()
    status = fields.CharEnumField(
        ReservationStatus, default=ReservationStatus.ACTIVE, db_index=True
    )
    expires_at = fields.DatetimeField(db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    order: fields.ForeignKeyNullableRelation[Order] = fields.ForeignKeyField(
        "inventory.Order",
        related_name="reservations",
        null=True,
        on_delete=fields.SET_NULL,
    )

    stock_level_id: UUID
    product_id: UUID
    farm_id: UUID
    order_id: UUID | None

    class Meta:
        app = "inventory"
        table = "inventory_reservation"
        manager = TenantManager()


class StockMovement(Model):
    """One ledger entry: replaying a level's entries gives quantity and reserved."""

    id = fields.UUIDField(primary_key=True)
    tenant_id = fields.CharField(max_length=TENANT_ID_LENGTH, db_index=True)
    stock_level: fields.ForeignKeyRelation[StockLevel] = fields.ForeignKeyField(
        "inventory.StockLevel", related_name="movements", on_delete=fields.RESTRICT
    )
    quantity_delta = fields.IntField(default=0)
    reserved_delta = fields.IntField(default=0)
    reason = fields.CharEnumField(MovementReason, max_length=32)
    note = fields.CharField(max_length=500, default="")
    # The reservation or order that caused the movement, when there is one.
    reference_id = fields.CharField(max_length=64, null=True)
    actor_id = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    stock_level_id: UUID

    class Meta:
        app = "inventory"
        table = "inventory_stock_movement"
        manager = TenantManager()
