"""Orders: reservations turned into a priced order, and orders cancelled.

Placing an order checks every reservation before writing anything, then, in one
transaction, marks each reservation ORDERED (conditionally, so a reservation that
expires or is released concurrently cannot also be ordered) and takes its units out
of both `quantity` and `reserved`. Cancelling puts the units back on the shelf.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tortoise.expressions import F

from subgraphs.inventory.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    ReservationNotActive,
)
from subgraphs.inventory.events import (
    StockChanged,
    publish_stock_changed,
    stock_changed,
)
from subgraphs.inventory.ledger import record_movement
from subgraphs.inventory.models import (
    MovementReason,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    Reservation,
    ReservationStatus,
    StockLevel,
)
from subgraphs.inventory.tenancy import tenant_transaction
from subgraphs.inventory.validation import PriceTier, price_for, require_id

if TYPE_CHECKING:
    from subgraphs.kit.principal import Principal
    from subgraphs.kit.pubsub import Broker

__all__ = ["MAX_ORDER_LINES", "cancel_order", "list_orders", "place_order"]

MAX_ORDER_LINES = 100


async def place_order(
    caller: Principal,
    reservation_ids: list[object],
    *,
    broker: Broker | None = None,
    now: datetime | None = None,
) -> Order:
    """Turn the caller's active reservations into one order, priced by tier.

    Raises InvalidInput (no or too many or repeated ids), NotFound (a reservation
    that is not the caller's), ReservationNotActive (expired, released, already
    ordered); on any error nothing is written.
    """
    if not reservation_ids or len(reservation_ids) > MAX_ORDER_LINES:
        raise InvalidInput(
            f"an order needs 1 to {MAX_ORDER_LINES} reservations",
            field="reservationIds",
        )
    keys = [require_id("Reservation", value) for value in reservation_ids]
    if len(set(keys)) != len(keys):
        raise InvalidInput("a reservation appears twice", field="reservationIds")
    at = now or datetime.now(UTC)
    events: list[StockChanged] = []
    async with tenant_transaction(caller.tenant_id):
        # Locked, all of them before any level (as release and expiry do).
        found = {
            r.id: r
            for r in await Reservation.filter(id__in=keys)
            .select_for_update()
            .order_by("id")
        }
        reservations = []
        for key in keys:
            reservation = found.get(key)
            if reservation is None or reservation.user_id != caller.user_id:
                raise NotFound("Reservation", str(key))
            if reservation.status is not ReservationStatus.ACTIVE:
                raise ReservationNotActive(str(key), reservation.status.value)
            if reservation.expires_at <= at:
                raise ReservationNotActive(str(key), ReservationStatus.EXPIRED.value)
            reservations.append(reservation)
        products = {
            p.id: p
            for p in await Product.filter(
                id__in=list({r.product_id for r in reservations})
            )
        }
        currencies = {products[r.product_id].currency for r in reservations}
        if len(currencies) > 1:
            raise InvalidInput(
                "an order's products must share one currency", field="reservationIds"
            )
        order = await Order.create(
            tenant_id=caller.tenant_id,
            buyer_id=caller.user_id,
            currency=currencies.pop(),
            status=OrderStatus.PLACED,
        )
        total = 0
        for reservation in reservations:
            ordered = await Reservation.filter(
                id=reservation.id, status=ReservationStatus.ACTIVE
            ).update(status=ReservationStatus.ORDERED, order_id=order.id)
            if not ordered:
                raise ReservationNotActive(str(reservation.id), "taken")
            await StockLevel.filter(id=reservation.stock_level_id).update(
                quantity=F("quantity") - reservation.quantity,
                reserved=F("reserved") - reservation.quantity,
            )
            await record_movement(
                reservation.stock_level_id,
                reason=MovementReason.ORDERED,
                quantity_delta=-reservation.quantity,
                reserved_delta=-reservation.quantity,
                reference_id=str(order.id),
                actor_id=caller.user_id,
            )
            tiers = [
                PriceTier.from_json(t)
                for t in products[reservation.product_id].price_tiers
            ]
            unit_price = price_for(tiers, reservation.quantity)
            await OrderLine.create(
                tenant_id=caller.tenant_id,
                order_id=order.id,
                stock_level_id=reservation.stock_level_id,
                product_id=reservation.product_id,
                farm_id=reservation.farm_id,
                quantity=reservation.quantity,
                unit_price_cents=unit_price,
                line_total_cents=unit_price * reservation.quantity,
            )
            total += unit_price * reservation.quantity
            level = await StockLevel.get(id=reservation.stock_level_id)
            events.append(stock_changed(level, MovementReason.ORDERED.value))
        await Order.filter(id=order.id).update(total_cents=total)
        order = await Order.get(id=order.id)
    await publish_stock_changed(broker, events)
    return order


async def cancel_order(
    caller: Principal, order_id: object, *, broker: Broker | None = None
) -> Order:
    """Cancel a placed order (its buyer or a tenant admin) and restock its units.

    Raises NotFound, Conflict (already cancelled).
    """
    key = require_id("Order", order_id)
    events: list[StockChanged] = []
    async with tenant_transaction(caller.tenant_id):
        order = await Order.get_or_none(id=key)
        if order is None or (
            order.buyer_id != caller.user_id and not caller.is_tenant_admin
        ):
            raise NotFound("Order", str(order_id))
        cancelled = await Order.filter(id=key, status=OrderStatus.PLACED).update(
            status=OrderStatus.CANCELLED, cancelled_at=datetime.now(UTC)
        )
        if not cancelled:
            raise Conflict(f"order {key} is already cancelled")
        for line in await OrderLine.filter(order_id=key).order_by("id"):
            await StockLevel.filter(id=line.stock_level_id).update(
                quantity=F("quantity") + line.quantity
            )
            await record_movement(
                line.stock_level_id,
                reason=MovementReason.ORDER_CANCELLED,
                quantity_delta=line.quantity,
                reference_id=str(key),
                actor_id=caller.user_id,
            )
            level = await StockLevel.get(id=line.stock_level_id)
            events.append(stock_changed(level, MovementReason.ORDER_CANCELLED.value))
        order = await Order.get(id=key)
    await publish_stock_changed(broker, events)
    return order


async def list_orders(caller: Principal) -> list[Order]:
    """The caller's orders, newest first; a tenant admin sees the tenant's orders."""
    async with tenant_transaction(caller.tenant_id):
        query = Order.all()
        if not caller.is_tenant_admin:
            query = query.filter(buyer_id=caller.user_id)
        return await query.order_by("-created_at", "id")
