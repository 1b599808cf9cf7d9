"""The inventory subgraph app: `SPEC` for embedding, `create_app()` to run alone.

Wherever the subgraph runs (alone, or embedded by `scripts/run`), the kit runs its
background task `sweep_expired_reservations`: every `SWEEP_INTERVAL` seconds expired
reservations return their units to stock (reserve() reclaims expired units of its own
level as well, so the sweep is about freshness, not correctness).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from tortoise.exceptions import BaseORMException

from subgraphs.inventory.schema import schema
from subgraphs.inventory.seed import seed
from subgraphs.inventory.stock import expire_reservations
from subgraphs.kit.app import SubgraphSpec, create_subgraph_app

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from subgraphs.kit.pubsub import Broker
    from subgraphs.kit.settings import Settings

__all__ = ["PORT", "SPEC", "SWEEP_INTERVAL", "create_app", "sweep_expired_reservations"]

PORT = 4004
SWEEP_INTERVAL = 30.0

logger = logging.getLogger("agora.subgraphs")


async def sweep_expired_reservations(
    broker: Broker | None,
    settings: Settings | None = None,
    *,
    interval: float = SWEEP_INTERVAL,
) -> None:
    """Expire overdue reservations every `interval` seconds, until cancelled.

    A background task of SPEC (kit signature `(broker, settings)`); database errors
    are logged and retried at the next tick, anything else crashes the run and the
    kit restarts it.
    """
    while True:
        try:
            expired = await expire_reservations(broker=broker)
            if expired:
                logger.info("expired %d reservations", expired)
        except BaseORMException:
            logger.warning("reservation sweep failed; retrying", exc_info=True)
        await asyncio.sleep(interval)


SPEC = SubgraphSpec(
    name="inventory",
    schema=schema,
    models=["subgraphs.inventory.models"],
    seed=seed,
    migrations="subgraphs.inventory.migrations",
    background=[sweep_expired_reservations],
)


def create_app(settings: Settings | None = None) -> Starlette:
    """The inventory subgraph alone: migrates, seeds, connects pub/sub, sweeps."""
    return create_subgraph_app(SPEC, settings)
