"""Orders: placing turns reservations into priced lines, cancelling restocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from subgraphs.inventory.catalog import update_product
from subgraphs.inventory.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    ReservationNotActive,
)
from subgraphs.inventory.ledger import replay
from subgraphs.inventory.models import (
    Order,
    OrderLine,
    OrderStatus,
    Reservation,
    ReservationStatus,
    StockLevel,
)
from subgraphs.inventory.orders import cancel_order, list_orders, place_order
from subgraphs.inventory.stock import receive_stock, reserve
from subgraphs.inventory.tenancy import tenant_transaction
from subgraphs.inventory.validation import PriceTier, PriceTierKind

if TYPE_CHECKING:
    from subgraphs.kit.principal import Principal
    from tests.unit.subgraphs.inventory.conftest import Shelf

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


async def _stocked(shelf: Shelf, admin: Principal, quantity: int = 100) -> None:
    await receive_stock(
        admin, farm_id=shelf.farm_id, product_id=shelf.product_id, quantity=quantity
    )


async def _level(caller: Principal, shelf: Shelf) -> StockLevel:
    async with tenant_transaction(caller.tenant_id):
        return await StockLevel.get(farm_id=shelf.farm_id, product_id=shelf.product_id)


async def test_placing_an_order_prices_each_line_by_its_tier_and_consumes_stock(
    shelf: Shelf, admin_a: Principal, member_a: Principal
) -> None:
    await update_product(
        admin_a,
        shelf.product_id,
        price_tiers=[
            PriceTier(PriceTierKind.RETAIL, 1, 350),
            PriceTier(PriceTierKind.WHOLESALE, 20, 280),
        ],
    )
    await _stocked(shelf, admin_a)
    small = await reserve(
        member_a,
        farm_id=shelf.farm_id,
        product_id=shelf.product_id,
        quantity=2,
        now=NOW,
    )
    bulk = await reserve(
        member_a,
        farm_id=shelf.farm_id,
        product_id=shelf.product_id,
        quantity=25,
        now=NOW,
    )
    order = await place_order(member_a, [small.id, bulk.id], now=NOW)
    assert (order.status, order.total_cents, order.buyer_id) == (
        OrderStatus.PLACED,
        2 * 350 + 25 * 280,
        "member-a",
    )
    async with tenant_transaction(member_a.tenant_id):
        lines = await OrderLine.filter(order_id=order.id).order_by("quantity")
        assert [(ln.quantity, ln.unit_price_cents) for ln in lines] == [
            (2, 350),
            (25, 280),
        ]
        statuses = await Reservation.all().values_list("status", flat=True)
        assert set(statuses) == {ReservationStatus.ORDERED}
    level = await _level(admin_a, shelf)
    assert (level.quantity, level.reserved) == (73, 0)


async def test_an_order_for_an_expired_reservation_fails_and_writes_nothing(
    shelf: Shelf, admin_a: Principal, member_a: Principal
) -> None:
    await _stocked(shelf, admin_a)
    fresh = await reserve(
        member_a,
        farm_id=shelf.farm_id,
        product_id=shelf.product_id,
        quantity=1,
        now=NOW,
    )
    stale = await reserve(
        member_a,
        farm_id=shelf.farm_id,
        product_id=shelf.product_id,
        quantity=1,
        ttl=60,
        now=NOW,
    )
    with pytest.raises(ReservationNotActive) as raised:
        await place_order(
            member_a, [fresh.id, stale.id], now=NOW + timedelta(minutes=2)
        )
    assert raised.value.extensions["reason"] == "RESERVATION_EXPIRED"
    async with tenant_transaction(member_a.tenant_id):
        assert await Order.all().count() == 0
        assert await OrderLine.all().count() == 0
        statuses = await Reservation.all().values_list("status", flat=True)
        assert set(statuses) == {ReservationStatus.ACTIVE}
    level = await _level(admin_a, shelf)
    assert (level.quantity, level.reserved) == (100, 2)


async def test_a_reservation_can_be_ordered_only_once(
    shelf: Shelf, admin_a: Principal, member_a: Principal
) -> None:
    await _stocked(shelf, admin_a)
    held = await reserve(
        member_a,
        farm_id=shelf.farm_id,
        product_id=shelf.product_id,
        quantity=1,
        now=NOW,
    )
    await place_order(member_a, [held.id], now=NOW)
    with pytest.raises(ReservationNotActive):
        await place_order(member_a, [held.id], now=NOW)


DUPLICATE = "7d3c0a2e-0000-4000-8000-000000000999"


@pytest.mark.parametrize("ids", [[], [DUPLICATE, DUPLICATE]])
async def test_an_order_needs_distinct_reservations(
    inventory_db: object, member_a: Principal, ids: list[object]
) -> None:
    with pytest.raises(InvalidInput):
        await place_order(member_a, ids, now=NOW)


async def test_another_users_reservation_cannot_be_ordered(
    shelf: Shelf, admin_a: Principal, member_a: Principal
) -> None:
    await _stocked(shelf, admin_a)
    held = await reserve(
        admin_a, farm_id=shelf.farm_id, product_id=shelf.product_id, quantity=1, now=NOW
    )
    with pytest.raises(NotFound):
        await place_order(member_a, [held.id], now=NOW)


async def test_cancelling_an_order_restocks_once_and_the_ledger_still_adds_up(
    shelf: Shelf, admin_a: Principal, member_a: Principal
) -> None:
    await _stocked(shelf, admin_a, 10)
    held = await reserve(
        member_a,
        farm_id=shelf.farm_id,
        product_id=shelf.product_id,
        quantity=4,
        now=NOW,
    )
    order = await place_order(member_a, [held.id], now=NOW)
    cancelled = await cancel_order(member_a, order.id)
    assert cancelled.status is OrderStatus.CANCELLED
    with pytest.raises(Conflict):
        await cancel_order(member_a, order.id)
    level = await _level(admin_a, shelf)
    assert (level.quantity, level.reserved) == (10, 0)
    async with tenant_transaction(admin_a.tenant_id):
        assert await replay(level.id) == (10, 0)


async def test_members_list_their_own_orders_and_admins_all_of_the_tenant(
    shelf: Shelf, admin_a: Principal, member_a: Principal
) -> None:
    await _stocked(shelf, admin_a)
    mine = await reserve(
        member_a,
        farm_id=shelf.farm_id,
        product_id=shelf.product_id,
        quantity=1,
        now=NOW,
    )
    theirs = await reserve(
        admin_a, farm_id=shelf.farm_id, product_id=shelf.product_id, quantity=1, now=NOW
    )
    my_order = await place_order(member_a, [mine.id], now=NOW)
    await place_order(admin_a, [theirs.id], now=NOW)
    assert [o.id for o in await list_orders(member_a)] == [my_order.id]
    assert len(await list_orders(admin_a)) == 2
