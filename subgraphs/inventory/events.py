"""Inventory events: `StockChanged` on a per-product and a per-farm channel.

Channel names carry the tenant, so a subscriber can only ever be attached to its own
tenant's stream. Events are published after the transaction commits (DESIGN.md:
commit, then publish), at least once: Broker.publish_reliably keeps what Redis
refused and sends it again in order, so the change itself (stored) is never undone
by a broker failure. Each event carries the level's `version` (moved by the database
on every UPDATE): subscribers drop what they have seen and re-read the level when
one is missing (subgraphs/inventory/streams.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

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


@dataclass(frozen=True, slots=True)
class StockChanged:
    """A stock level after a change: its quantity, reserved and available units,
    and its version (1, 2, 3... per level, in commit order)."""

    tenant_id: str
    stock_level_id: str
    farm_id: str
    product_id: str
    quantity: int
    reserved: int
    available: int
    reason: str
    version: int


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
        version=level.version,
    )


async def publish_stock_changed(
    broker: Broker | None, events: Iterable[StockChanged]
) -> None:
    """Publish each event on its product and farm channels; call after commit.

    Never raises for the broker: what Redis refuses is sent again later, in order
    (a subscriber that misses it meanwhile re-reads the level at its next event or
    broker gap).
    """
    if broker is None:
        return
    for event in events:
        for channel, key in (
            (STOCK_BY_PRODUCT, event.product_id),
            (STOCK_BY_FARM, event.farm_id),
        ):
            await channel.publish_reliably(broker, event.tenant_id, key, event)
