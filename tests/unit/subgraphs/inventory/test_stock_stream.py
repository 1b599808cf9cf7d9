"""stockChanged is ordered, without duplicates, and never left behind (issue 14).

Each level's version is moved by the database on every UPDATE; the stream drops
what it has seen and re-reads the levels when a version is missing or the broker
reports a gap.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING, TypeVar

from subgraphs.inventory.events import publish_stock_changed, stock_changed
from subgraphs.inventory.stock import (
    adjust_stock,
    receive_stock,
    reserve,
    stock_for_product,
)
from subgraphs.inventory.streams import stock_changes
from subgraphs.kit._redis_backend import RESUBSCRIBED
from subgraphs.kit.pubsub import Broker

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from subgraphs.inventory.events import StockChanged
    from subgraphs.kit.principal import Principal
    from tests.unit.subgraphs.inventory.conftest import Shelf

T = TypeVar("T")


async def next_of(stream: AsyncIterator[T], timeout: float = 5.0) -> T:
    return await asyncio.wait_for(anext(stream), timeout)


def seen(event: StockChanged) -> tuple[int, int, int, str]:
    return (event.version, event.quantity, event.reserved, event.reason)


async def test_every_update_of_a_level_moves_its_version_by_one(
    shelf: Shelf, admin_a: Principal
) -> None:
    farm, product = shelf.farm_id, shelf.product_id
    first = await receive_stock(admin_a, quantity=10, farm_id=farm, product_id=product)
    second = await receive_stock(admin_a, quantity=5, farm_id=farm, product_id=product)
    third = await adjust_stock(
        admin_a, delta=-3, reason="count", farm_id=farm, product_id=product
    )
    assert [first.version, second.version, third.version] == [1, 2, 3]


async def test_a_lost_event_is_read_from_the_database_and_late_ones_dropped(
    shelf: Shelf, admin_a: Principal
) -> None:
    farm, product = shelf.farm_id, shelf.product_id
    async with Broker("memory://") as broker:
        await receive_stock(
            admin_a, quantity=10, broker=broker, farm_id=farm, product_id=product
        )
        stream = stock_changes(admin_a, broker=broker, product_id=shelf.product_id)
        assert seen(await next_of(stream)) == (1, 10, 0, "CURRENT")
        # A broker nobody listens to stands for a publish that was lost (v2), and
        # one that is late (v3, published again below).
        async with Broker("memory://", prefix="elsewhere:") as lost:
            await receive_stock(
                admin_a, quantity=5, broker=lost, farm_id=farm, product_id=product
            )
            await reserve(
                admin_a,
                quantity=4,
                ttl=60,
                broker=lost,
                farm_id=farm,
                product_id=product,
            )
        await receive_stock(
            admin_a, quantity=1, broker=broker, farm_id=farm, product_id=product
        )  # v4
        # v4 is ahead of v1 + 1: the level is read again, as stored now.
        assert seen(await next_of(stream)) == (4, 16, 4, "CURRENT")
        # v3 heard late and v4 heard twice are dropped; v5 goes through.
        (level,) = await stock_for_product(admin_a, shelf.product_id)
        now = stock_changed(level, "RECEIVED")
        await publish_stock_changed(broker, [dataclasses.replace(now, version=3)])
        await publish_stock_changed(broker, [now])
        await adjust_stock(
            admin_a,
            delta=-6,
            reason="spoilt",
            broker=broker,
            farm_id=farm,
            product_id=product,
        )
        assert seen(await next_of(stream)) == (5, 10, 4, "ADJUSTED")
        await stream.aclose()


async def test_a_broker_gap_re_reads_the_levels_of_the_stream(
    shelf: Shelf, admin_a: Principal
) -> None:
    farm, product = shelf.farm_id, shelf.product_id
    async with Broker("memory://") as broker:
        stream = stock_changes(admin_a, broker=broker, farm_id=shelf.farm_id)
        # No level yet, so nothing CURRENT: the first change is heard as it is.
        first = asyncio.ensure_future(next_of(stream))
        await asyncio.sleep(0.1)  # subscribed
        await receive_stock(
            admin_a, quantity=2, broker=broker, farm_id=farm, product_id=product
        )
        assert seen(await first) == (1, 2, 0, "RECEIVED")
        async with Broker("memory://", prefix="elsewhere:") as lost:
            await receive_stock(
                admin_a, quantity=3, broker=lost, farm_id=farm, product_id=product
            )
        # What the Redis backend reports once it has resubscribed after a drop
        # (the memory backend passes on only channels it was told to listen to).
        await broker.backend.subscribe(RESUBSCRIBED)
        await broker.backend.publish(RESUBSCRIBED, "")
        assert seen(await next_of(stream)) == (2, 5, 0, "CURRENT")
        await stream.aclose()
