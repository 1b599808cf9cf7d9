"""stockChanged through Redis pub/sub: over a real websocket, and across a dropped
subscriber link."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from redis import asyncio as aioredis

from subgraphs.inventory.catalog import create_farm, create_product
from subgraphs.inventory.stock import receive_stock
from subgraphs.inventory.streams import stock_changes
from subgraphs.kit._redis_backend import ResilientRedisBackend
from subgraphs.kit.principal import Principal
from subgraphs.kit.pubsub import Broker
from tests.integration.inventory.conftest import ON_POSTGRES
from tests.unit.subgraphs.inventory.conftest import RETAIL, TENANT_A
from tests.unit.subgraphs.inventory.test_subscriptions import check_stock_changed_flow

if TYPE_CHECKING:
    import contextlib
    from collections.abc import Callable

    from subgraphs.kit.settings import Settings

pytestmark = ON_POSTGRES


async def test_stock_changes_reach_a_websocket_subscriber_through_redis(
    redis_settings: Settings,
    uvicorn_server: Callable[..., contextlib.AbstractAsyncContextManager[str]],
) -> None:
    await check_stock_changed_flow(redis_settings, uvicorn_server)


async def test_after_redis_drops_the_subscriber_link_the_levels_are_read_again(
    postgres_inventory: Settings, redis_url: str, redis_prefix: str
) -> None:
    """A change whose event never arrived (lost) shows up, read from the database,
    once the broker has resubscribed after Redis killed its link (issue 14)."""
    admin = Principal(
        user_id="admin", tenant_id=TENANT_A, roles=frozenset({"tenant_admin"})
    )
    farm = str((await create_farm(admin, name="North")).id)
    product = str(
        (await create_product(admin, sku="S", name="Spinach", price_tiers=RETAIL)).id
    )
    redis = aioredis.Redis.from_url(redis_url)
    async with Broker(redis_url, prefix=redis_prefix) as broker:
        await receive_stock(
            admin, quantity=10, broker=broker, farm_id=farm, product_id=product
        )
        stream = stock_changes(admin, broker=broker, product_id=product)
        try:
            first = await asyncio.wait_for(anext(stream), 5)
            assert (first.version, first.quantity, first.reason) == (1, 10, "CURRENT")
            async with Broker(redis_url, prefix=redis_prefix + "lost:") as lost:
                await receive_stock(
                    admin, quantity=5, broker=lost, farm_id=farm, product_id=product
                )
            backend = broker.backend
            assert isinstance(backend, ResilientRedisBackend)
            links = await redis.client_list(_type="pubsub")
            (ours,) = [c for c in links if c.get("name") == backend.client_name]
            assert await redis.client_kill_filter(_id=ours["id"]) == 1
            event = await asyncio.wait_for(anext(stream), 15)
            assert (event.version, event.quantity, event.reason) == (2, 15, "CURRENT")
            assert backend.reconnects >= 1
        finally:
            await stream.aclose()
            await redis.aclose()
