"""Inventory events: `StockChanged` on a per-product and a per-farm channel.

Channel names carry the tenant, so a subscriber can only ever be attached to its own
tenant's stream. Events are published after the transaction commits (DESIGN.md:
commit, then publish); a broker failure after commit is logged, not raised, because
the change itself is stored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from subgraphs.kit.errors import BrokerUnavailable
from subgraphs.kit.pubsub import Channel

if TYPE_CHECKING:
    from collections.abc import Iterable

    from subgraphs.inventory.models import StockLevel
    from subgraphs.kit.pubsub import Broker

__all__ = [
    "STOCK_BY_FARM",
    "STOCK_BY_PRODUCT",
    "StockChanged",
    "publish_stock_changed",
    "stock_changed",
]

logger = logging.getLogger("agora.subgraphs")


@dataclass(frozen=True, slots=True)
class StockChanged:
    """A stock level after a change: its quantity, reserved and available units."""

    tenant_id: str
    stock_level_id: str
    farm_id: str
    product_id: str
    quantity: int
    reserved: int
    available: int
    reason: str


# Names: inventory.stock.product.<tenant>.<id> and inventory.stock.farm.<tenant>.<id>
STOCK_BY_PRODUCT = Channel("inventory.stock.product", StockChanged)
STOCK_BY_FARM = Channel("inventory.stock.farm", StockChanged)


def stock_changed(level: StockLevel, reason: str) -> StockChanged:
    """The event for `level` as stored now."""
    return StockChanged(
        tenant_id=level.tenant_id,
        stock_level_id=str(level.id),
        farm_id=str(level.farm_id),
        product_id=str(level.product_id),
        quantity=level.quantity,
        reserved=level.reserved,
        available=level.available,
        reason=reason,
    )


async def publish_stock_changed(
    broker: Broker | None, events: Iterable[StockChanged]
) -> None:
    """Publish each event on its product and farm channels; call after commit."""
    if broker is None:
        return
    for event in events:
        try:
            await STOCK_BY_PRODUCT.publish(
                broker, event.tenant_id, event.product_id, event
            )
            await STOCK_BY_FARM.publish(broker, event.tenant_id, event.farm_id, event)
        except (BrokerUnavailable, OSError):
            logger.warning(
                "stockChanged for %s not published: broker unavailable",
                event.stock_level_id,
                exc_info=True,
            )
