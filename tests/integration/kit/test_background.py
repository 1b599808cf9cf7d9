"""Background tasks of real subgraphs run embedded: inventory's reservation sweeper."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from subgraphs.inventory.app import SPEC as INVENTORY
from subgraphs.inventory.app import sweep_expired_reservations
from subgraphs.inventory.catalog import create_farm, create_product
from subgraphs.inventory.events import STOCK_BY_PRODUCT
from subgraphs.inventory.models import Reservation, ReservationStatus
from subgraphs.inventory.stock import receive_stock, reserve
from subgraphs.inventory.tenancy import tenant_transaction
from subgraphs.inventory.validation import PriceTier, PriceTierKind
from subgraphs.kit.embedded import create_embedded
from subgraphs.kit.principal import Principal

if TYPE_CHECKING:
    from subgraphs.kit.settings import Settings

TENANT = "7d3c0a2e-0000-4000-8000-0000000000c1"
ADMIN = Principal(user_id="admin", tenant_id=TENANT, roles=frozenset({"tenant_admin"}))
MEMBER = Principal(user_id="member", tenant_id=TENANT, roles=frozenset({"member"}))


def test_inventory_registers_its_sweeper_as_a_background_task() -> None:
    assert INVENTORY.background == (sweep_expired_reservations,)


async def test_under_create_embedded_the_sweeper_expires_an_overdue_reservation(
    settings: Settings,
) -> None:
    sweeping = dataclasses.replace(
        INVENTORY,
        background=[functools.partial(sweep_expired_reservations, interval=0.05)],
    )
    apps, lifespan = create_embedded([sweeping], settings)
    broker = apps["inventory"].state.broker  # type: ignore[attr-defined]
    async with lifespan(None):
        farm = await create_farm(ADMIN, name="South Field", timezone="UTC")
        product = await create_product(
            ADMIN,
            sku="BEAN-1",
            name="Beans",
            unit="kg",
            price_tiers=[PriceTier(PriceTierKind.RETAIL, 1, 200)],
        )
        channel = STOCK_BY_PRODUCT.name(TENANT, product.id)
        async with broker.subscribe(channel) as events:
            # No broker here: the only event on the channel comes from the sweeper.
            await receive_stock(
                ADMIN, farm_id=farm.id, product_id=product.id, quantity=4
            )
            reservation = await reserve(
                MEMBER,
                farm_id=farm.id,
                product_id=product.id,
                quantity=3,
                ttl=60,
                now=datetime.now(UTC) - timedelta(hours=1),
            )
            async with asyncio.timeout(10):
                event = STOCK_BY_PRODUCT.decode(await anext(events))
        async with tenant_transaction(TENANT):
            stored = await Reservation.get(id=reservation.id)
    assert (event.reason, event.quantity, event.reserved) == ("EXPIRED", 4, 0)
    assert stored.status == ReservationStatus.EXPIRED
