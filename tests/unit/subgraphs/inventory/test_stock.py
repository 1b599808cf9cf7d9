"""Stock levels: receiving, adjusting, reserving, releasing and expiring."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from subgraphs.inventory.errors import (
    Forbidden,
    InsufficientStock,
    InvalidInput,
    InvalidQuantity,
    NotFound,
    ReservationNotActive,
)
from subgraphs.inventory.ledger import replay
from subgraphs.inventory.models import (
    Reservation,
    ReservationStatus,
    StockLevel,
    StockMovement,
)
from subgraphs.inventory.stock import (
    adjust_stock,
    expire_reservations,
    low_stock,
    receive_stock,
    release_reservation,
    reserve,
    stock_for_product,
)
from subgraphs.inventory.tenancy import tenant_transaction
from subgraphs.kit.principal import Principal

if TYPE_CHECKING:
    from tests.unit.subgraphs.inventory.conftest import Shelf

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


async def _level(caller: Principal, shelf: Shelf) -> StockLevel:
    async with tenant_transaction(caller.tenant_id):
        return await StockLevel.get(farm_id=shelf.farm_id, product_id=shelf.product_id)


async def _movements(caller: Principal) -> int:
    async with tenant_transaction(caller.tenant_id):
        return await StockMovement.all().count()


async def test_receive_stock_adds_quantity_and_writes_a_ledger_entry(
    shelf: Shelf, admin_a: Principal
) -> None:
    await receive_stock(
        admin_a, farm_id=shelf.farm_id, product_id=shelf.product_id, quantity=30
    )
    level = await receive_stock(
        admin_a, farm_id=shelf.farm_id, product_id=shelf.product_id, quantity=12
    )
    assert (level.quantity, level.reserved, level.available) == (42, 0, 42)
    async with tenant_transaction(admin_a.tenant_id):
        assert await replay(level.id) == (42, 0)


@pytest.mark.parametrize("quantity", [0, -5, 1.5, "3", True, None])
async def test_receive_stock_rejects_a_quantity_that_is_not_a_positive_integer(
    shelf: Shelf, admin_a: Principal, quantity: object
) -> None:
    with pytest.raises(InvalidQuantity) as raised:
        await receive_stock(
            admin_a,
            farm_id=shelf.farm_id,
            product_id=shelf.product_id,
            quantity=quantity,
        )
    assert raised.value.extensions["code"] == "BAD_USER_INPUT"
    assert await _movements(admin_a) == 0


async def test_receive_stock_requires_a_tenant_admin(
    shelf: Shelf, member_a: Principal
) -> None:
    with pytest.raises(Forbidden):
        await receive_stock(
            member_a, farm_id=shelf.farm_id, product_id=shelf.product_id, quantity=1
        )


async def test_receive_stock_for_an_unknown_product_is_not_found(
    shelf: Shelf, admin_a: Principal
) -> None:
    with pytest.raises(NotFound) as raised:
        await receive_stock(
            admin_a, farm_id=shelf.farm_id, product_id="not-a-uuid", quantity=1
        )
    assert raised.value.extensions["code"] == "NOT_FOUND"


async def test_adjust_stock_records_the_reason_and_may_not_go_below_reserved(
    shelf: Shelf, admin_a: Principal
) -> None:
    await receive_stock(
        admin_a, farm_id=shelf.farm_id, product_id=shelf.product_id, quantity=10
    )
    await reserve(
        admin_a, farm_id=shelf.farm_id, product_id=shelf.product_id, quantity=4, now=NOW
    )
    level = await adjust_stock(
        admin_a,
        farm_id=shelf.farm_id,
        product_id=shelf.product_id,
        delta=-6,
        reason="hail",
    )
    assert (level.quantity, level.reserved) == (4, 4)
    with pytest.raises(InvalidQuantity):
        await adjust_stock(
            admin_a,
            farm_id=shelf.farm_id,
            product_id=shelf.product_id,
            delta=-1,
            reason="x",
        )
    with pytest.raises(InvalidInput):
        await adjust_stock(
            admin_a,
            farm_id=shelf.farm_id,
            product_id=shelf.product_id,
            delta=1,
            reason=" ",
        )
    async with tenant_transaction(admin_a.tenant_id):
        notes = await StockMovement.filter(reason="ADJUSTED").values_list(
            "note", flat=True
        )
        assert notes == ["hail"]
        assert await replay(level.id) == (4, 4)


async def test_reserve_larger_than_available_fails_and_writes_nothing(
    shelf: Shelf, admin_a: Principal, member_a: Principal
) -> None:
    await receive_stock(
        admin_a, farm_id=shelf.farm_id, product_id=shelf.product_id, quantity=5
    )
    with pytest.raises(InsufficientStock) as raised:
        await reserve(
            member_a,
            farm_id=shelf.farm_id,
            product_id=shelf.product_id,
            quantity=6,
            now=NOW,
        )
    assert raised.value.extensions == {
        "code": "BAD_USER_INPUT",
        "reason": "INSUFFICIENT_STOCK",
        "available": 5,
    }
    level = await _level(admin_a, shelf)
    assert (level.quantity, level.reserved) == (5, 0)
    assert await _movements(admin_a) == 1


async def test_two_hundred_concurrent_reservations_against_fifty_succeed_fifty_times(
    shelf: Shelf, admin_a: Principal
) -> None:
    await receive_stock(
        admin_a, farm_id=shelf.farm_id, product_id=shelf.product_id, quantity=50
    )
    buyers = [
        Principal(user_id=f"buyer-{n}", tenant_id=admin_a.tenant_id) for n in range(200)
    ]
    results = await asyncio.gather(
        *(
            reserve(
                buyer,
                farm_id=shelf.farm_id,
                product_id=shelf.product_id,
                quantity=1,
                now=NOW,
            )
            for buyer in buyers
        ),
        return_exceptions=True,
    )
    won = [r for r in results if isinstance(r, Reservation)]
    lost = [r for r in results if isinstance(r, InsufficientStock)]
    assert (len(won), len(lost)) == (50, 150)
    level = await _level(admin_a, shelf)
    assert (level.quantity, level.reserved, level.available) == (50, 50, 0)
    async with tenant_transaction(admin_a.tenant_id):
        assert await replay(level.id) == (level.quantity, level.reserved)
        assert await Reservation.all().count() == 50


async def test_release_gives_the_units_back_once(
    shelf: Shelf, admin_a: Principal, member_a: Principal
) -> None:
    await receive_stock(
        admin_a, farm_id=shelf.farm_id, product_id=shelf.product_id, quantity=5
    )
    held = await reserve(
        member_a,
        farm_id=shelf.farm_id,
        product_id=shelf.product_id,
        quantity=3,
        now=NOW,
    )
    released = await release_reservation(member_a, held.id)
    assert released.status is ReservationStatus.RELEASED
    with pytest.raises(ReservationNotActive):
        await release_reservation(member_a, held.id)
    level = await _level(admin_a, shelf)
    assert (level.quantity, level.reserved) == (5, 0)


async def test_someone_elses_reservation_cannot_be_released(
    shelf: Shelf, admin_a: Principal, member_a: Principal
) -> None:
    await receive_stock(
        admin_a, farm_id=shelf.farm_id, product_id=shelf.product_id, quantity=5
    )
    held = await reserve(
        admin_a, farm_id=shelf.farm_id, product_id=shelf.product_id, quantity=3, now=NOW
    )
    with pytest.raises(NotFound):
        await release_reservation(member_a, held.id)


async def test_expired_reservations_release_their_stock(
    shelf: Shelf, admin_a: Principal, member_a: Principal
) -> None:
    await receive_stock(
        admin_a, farm_id=shelf.farm_id, product_id=shelf.product_id, quantity=5
    )
    await reserve(
        member_a,
        farm_id=shelf.farm_id,
        product_id=shelf.product_id,
        quantity=2,
        ttl=60,
        now=NOW,
    )
    await reserve(
        member_a,
        farm_id=shelf.farm_id,
        product_id=shelf.product_id,
        quantity=1,
        ttl=600,
        now=NOW,
    )
    assert await expire_reservations(now=NOW + timedelta(seconds=59)) == 0
    assert await expire_reservations(now=NOW + timedelta(seconds=60)) == 1
    level = await _level(admin_a, shelf)
    assert (level.quantity, level.reserved) == (5, 1)
    async with tenant_transaction(admin_a.tenant_id):
        statuses = sorted(await Reservation.all().values_list("status", flat=True))
        assert statuses == [ReservationStatus.ACTIVE, ReservationStatus.EXPIRED]
        assert await replay(level.id) == (5, 1)


async def test_a_reservation_reclaims_expired_units_of_its_level(
    shelf: Shelf, admin_a: Principal, member_a: Principal
) -> None:
    await receive_stock(
        admin_a, farm_id=shelf.farm_id, product_id=shelf.product_id, quantity=5
    )
    await reserve(
        member_a,
        farm_id=shelf.farm_id,
        product_id=shelf.product_id,
        quantity=5,
        ttl=60,
        now=NOW,
    )
    later = NOW + timedelta(minutes=5)
    held = await reserve(
        admin_a,
        farm_id=shelf.farm_id,
        product_id=shelf.product_id,
        quantity=4,
        now=later,
    )
    assert held.quantity == 4
    level = await _level(admin_a, shelf)
    assert (level.quantity, level.reserved) == (5, 4)


async def test_stock_lists_levels_per_farm_and_low_stock_filters_on_available(
    shelf: Shelf, admin_a: Principal
) -> None:
    await receive_stock(
        admin_a, farm_id=shelf.farm_id, product_id=shelf.product_id, quantity=8
    )
    await reserve(
        admin_a, farm_id=shelf.farm_id, product_id=shelf.product_id, quantity=5, now=NOW
    )
    levels = await stock_for_product(admin_a, shelf.product_id)
    assert [(lv.quantity, lv.reserved, lv.available) for lv in levels] == [(8, 5, 3)]
    assert [lv.id for lv in await low_stock(admin_a, 4)] == [levels[0].id]
    assert await low_stock(admin_a, 3) == []
    with pytest.raises(InvalidQuantity):
        await low_stock(admin_a, -1)


async def test_a_reservation_released_and_expired_at_once_gives_its_units_back_once(
    shelf: Shelf, admin_a: Principal, member_a: Principal
) -> None:
    await receive_stock(
        admin_a, farm_id=shelf.farm_id, product_id=shelf.product_id, quantity=10
    )
    held = [
        await reserve(
            member_a,
            farm_id=shelf.farm_id,
            product_id=shelf.product_id,
            quantity=2,
            ttl=60,
            now=NOW,
        )
        for _ in range(5)
    ]
    later = NOW + timedelta(minutes=2)
    results = await asyncio.gather(
        expire_reservations(now=later),
        *(release_reservation(member_a, r.id) for r in held),
        return_exceptions=True,
    )
    released = [r for r in results[1:] if isinstance(r, Reservation)]
    refused = [r for r in results[1:] if isinstance(r, ReservationNotActive)]
    assert len(released) + len(refused) == 5
    assert results[0] == len(refused)
    level = await _level(admin_a, shelf)
    assert (level.quantity, level.reserved) == (10, 0)
    async with tenant_transaction(admin_a.tenant_id):
        assert await replay(level.id) == (10, 0)


async def test_a_reservation_may_last_an_hour_at_most_unless_configured(
    shelf: Shelf,
    admin_a: Principal,
    member_a: Principal,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Issue 12, finding 1: a member held the whole stock for 7 days.
    await receive_stock(
        admin_a, farm_id=shelf.farm_id, product_id=shelf.product_id, quantity=150
    )

    async def hold(ttl: int) -> None:
        await reserve(
            member_a,
            farm_id=shelf.farm_id,
            product_id=shelf.product_id,
            quantity=1,
            ttl=ttl,
            now=NOW,
        )

    await hold(3600)
    with pytest.raises(InvalidQuantity) as week:
        await hold(7 * 24 * 3600)
    with pytest.raises(InvalidQuantity):
        await hold(3601)
    monkeypatch.setenv("INVENTORY_MAX_RESERVATION_TTL", "600")
    with pytest.raises(InvalidQuantity):
        await hold(601)
    await hold(600)
    assert "from 1 to 3600" in week.value.message
    level = await _level(admin_a, shelf)
    assert level.reserved == 2
