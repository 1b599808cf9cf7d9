"""The stockChanged stream: ordered, no duplicate, and never left behind (issue 14).

The database is the truth and each level's `version` (moved by a trigger on every
UPDATE, in commit order) orders its changes; the live channel is the prompt to read
it. The stream subscribes FIRST, then reads the current levels (reason CURRENT) and
remembers the last version it delivered per level. A live event at or below it is a
duplicate or late (dropped); one further ahead than the next version means a change
was lost or is still to be published, so the levels are read again from the
database and each one newer than delivered is sent (reason CURRENT: the level as
stored now, which already holds the missed change). When the broker reports a gap
(its link was down, or this stream's queue overflowed) the same re-read happens.
A subscriber therefore sees each level's versions only go up, and always ends up at
the level's latest committed state; intermediate changes are folded into one
CURRENT event when their own events were lost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# The module, not the package: the package's front door imports this one.
import subgraphs.inventory.stock as stock
from subgraphs.inventory.events import STOCK_BY_FARM, STOCK_BY_PRODUCT, StockChanged
from subgraphs.inventory.events import stock_changed as event_of

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Awaitable, Callable

    from subgraphs.inventory.models import StockLevel
    from subgraphs.kit.principal import Principal
    from subgraphs.kit.pubsub import Broker

__all__ = ["CURRENT", "stock_changes"]

# The reason of an event read from the database rather than heard.
CURRENT = "CURRENT"


async def stock_changes(
    caller: Principal,
    *,
    broker: Broker,
    product_id: object = None,
    farm_id: object = None,
) -> AsyncGenerator[StockChanged, None]:
    """The levels of one product (or one farm) now, then each later change.

    Give exactly one of product_id and farm_id (the schema checks it).
    """
    read: Callable[[], Awaitable[list[StockLevel]]]
    if product_id is not None:
        channel = STOCK_BY_PRODUCT.name(caller.tenant_id, product_id)

        async def read() -> list[StockLevel]:
            return await stock.stock_for_product(caller, product_id)
    else:
        channel = STOCK_BY_FARM.name(caller.tenant_id, farm_id)

        async def read() -> list[StockLevel]:
            return await stock.stock_for_farm(caller, farm_id)

    delivered: dict[str, int] = {}

    async def newer() -> list[StockChanged]:
        """The stored levels newer than what was delivered (all, the first time)."""
        fresh = []
        for level in await read():
            if level.version > delivered.get(str(level.id), -1):
                fresh.append(event_of(level, CURRENT))
                delivered[str(level.id)] = level.version
        return fresh

    async with broker.subscribe(channel) as live:
        for event in await newer():  # read after subscribing: nothing falls between
            yield event
        while True:
            try:
                payload = await live.get()
            except StopAsyncIteration:
                return
            if payload is None:  # the broker may have lost events: read again
                for event in await newer():
                    yield event
                continue
            event = STOCK_BY_PRODUCT.decode(payload)
            last = delivered.get(event.stock_level_id, 0)
            if event.version <= last:
                continue  # seen (read from the database, or published again)
            if event.version > last + 1:  # one was lost or is late: read them
                for current in await newer():
                    yield current
                if event.version <= delivered.get(event.stock_level_id, 0):
                    continue
            delivered[event.stock_level_id] = event.version
            yield event
