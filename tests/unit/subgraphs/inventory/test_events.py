"""StockChanged events: published after a change is stored, never for a failed one."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from subgraphs.inventory.app import sweep_expired_reservations
from subgraphs.inventory.errors import InsufficientStock
from subgraphs.inventory.events import STOCK_BY_FARM, STOCK_BY_PRODUCT, StockChanged
from subgraphs.inventory.models import Farm, Product, StockLevel, StockMovement
from subgraphs.inventory.seed import GREEN_FARMS, seed
from subgraphs.inventory.stock import receive_stock, reserve
from subgraphs.inventory.tenancy import tenant_transaction
from subgraphs.kit.pubsub import Broker, Subscription

if TYPE_CHECKING:
    from subgraphs.kit.principal import Principal
    from subgraphs.kit.settings import Settings
    from tests.unit.subgraphs.inventory.conftest import Shelf


async def _next(events: Subscription) -> StockChanged:
    async with asyncio.timeout(5):
        payload = await anext(events)
    return STOCK_BY_PRODUCT.decode(payload)


async def test_a_failed_reservation_publishes_nothing(
    shelf: Shelf, admin_a: Principal, member_a: Principal
) -> None:
    async with (
        Broker("memory://") as broker,
        broker.subscribe(
            STOCK_BY_PRODUCT.name(admin_a.tenant_id, shelf.product_id)
        ) as events,
    ):
        with pytest.raises(InsufficientStock):
            await reserve(
                member_a,
                farm_id=shelf.farm_id,
                product_id=shelf.product_id,
                quantity=1,
                broker=broker,
            )
        await receive_stock(
            admin_a,
            farm_id=shelf.farm_id,
            product_id=shelf.product_id,
            quantity=3,
            broker=broker,
        )
        # The first event is the receipt: the failed reservation sent none.
        event = await _next(events)
    assert (event.reason, event.quantity, event.available) == ("RECEIVED", 3, 3)


async def test_each_change_is_published_on_its_product_and_its_farm_channel(
    shelf: Shelf, admin_a: Principal, member_a: Principal
) -> None:
    async with (
        Broker("memory://") as broker,
        broker.subscribe(
            STOCK_BY_PRODUCT.name(admin_a.tenant_id, shelf.product_id)
        ) as by_product,
        broker.subscribe(
            STOCK_BY_FARM.name(admin_a.tenant_id, shelf.farm_id)
        ) as by_farm,
    ):
        await receive_stock(
            admin_a,
            farm_id=shelf.farm_id,
            product_id=shelf.product_id,
            quantity=8,
            broker=broker,
        )
        await reserve(
            member_a,
            farm_id=shelf.farm_id,
            product_id=shelf.product_id,
            quantity=5,
            broker=broker,
        )
        product_events = [await _next(by_product), await _next(by_product)]
        farm_events = [await _next(by_farm), await _next(by_farm)]
    assert product_events == farm_events
    assert [(e.reason, e.quantity, e.reserved, e.available) for e in farm_events] == [
        ("RECEIVED", 8, 0, 8),
        ("RESERVED", 8, 5, 3),
    ]


async def test_the_seed_is_idempotent(inventory_db: Settings) -> None:
    await seed(inventory_db)
    await seed(inventory_db)
    async with tenant_transaction(GREEN_FARMS):
        assert await Farm.all().count() == 2
        assert await Product.all().count() == 5
        levels = await StockLevel.all()
        assert len(levels) == 6
        assert await StockMovement.all().count() == 6
        assert sum(level.quantity for level in levels) == 595


async def test_the_sweeper_expires_overdue_reservations_and_announces_it(
    shelf: Shelf, admin_a: Principal, member_a: Principal
) -> None:
    await receive_stock(
        admin_a, farm_id=shelf.farm_id, product_id=shelf.product_id, quantity=5
    )
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    await reserve(
        member_a,
        farm_id=shelf.farm_id,
        product_id=shelf.product_id,
        quantity=2,
        ttl=60,
        now=an_hour_ago,
    )
    async with (
        Broker("memory://") as broker,
        broker.subscribe(
            STOCK_BY_PRODUCT.name(admin_a.tenant_id, shelf.product_id)
        ) as events,
    ):
        sweeper = asyncio.create_task(sweep_expired_reservations(broker, interval=3600))
        try:
            event = await _next(events)
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
    assert (event.reason, event.quantity, event.reserved) == ("EXPIRED", 5, 0)
