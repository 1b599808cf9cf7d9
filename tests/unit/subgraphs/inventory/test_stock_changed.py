"""The stockChanged subscription resolver, run on the schema without a transport."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from subgraphs.inventory.schema import schema
from subgraphs.inventory.stock import receive_stock
from subgraphs.kit.context import RequestContext
from subgraphs.kit.pubsub import Broker

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from subgraphs.kit.principal import Principal
    from subgraphs.kit.settings import Settings
    from tests.unit.subgraphs.inventory.conftest import Shelf

BY_FARM = """
subscription($f: ID) { stockChanged(farmId: $f) { farmId quantity reason } }
"""


def _context(settings: Settings, broker: Broker, caller: Principal) -> RequestContext:
    return RequestContext(
        settings=settings,
        broker=broker,
        user_id=caller.user_id,
        tenant_id=caller.tenant_id,
        roles=caller.roles,
    )


async def _first(results: AsyncIterator[Any]) -> Any:
    async with asyncio.timeout(5):
        return await anext(results)


async def test_a_farm_subscription_starts_with_the_farms_levels_then_follows_changes(
    shelf: Shelf, inventory_db: Settings, admin_a: Principal
) -> None:
    await receive_stock(
        admin_a, farm_id=shelf.farm_id, product_id=shelf.product_id, quantity=3
    )
    async with Broker("memory://") as broker:
        results = await schema.subscribe(
            BY_FARM,
            variable_values={"f": shelf.farm_id},
            context_value=_context(inventory_db, broker, admin_a),
        )
        first = await _first(results)
        assert first.data["stockChanged"] == {
            "farmId": shelf.farm_id,
            "quantity": 3,
            "reason": "CURRENT",
        }
        await receive_stock(
            admin_a,
            farm_id=shelf.farm_id,
            product_id=shelf.product_id,
            quantity=2,
            broker=broker,
        )
        second = await _first(results)
        assert second.data["stockChanged"]["quantity"] == 5
        await results.aclose()


async def test_stock_changed_needs_exactly_one_of_product_or_farm(
    inventory_db: Settings, admin_a: Principal
) -> None:
    async with Broker("memory://") as broker:
        results = await schema.subscribe(
            "subscription { stockChanged { quantity } }",
            context_value=_context(inventory_db, broker, admin_a),
        )
        outcome = await _first(results)
    assert outcome.errors[0].extensions["code"] == "BAD_USER_INPUT"
