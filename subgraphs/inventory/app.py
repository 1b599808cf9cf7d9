"""The inventory subgraph app: `SPEC` for embedding, `create_app()` to run alone.

Run alone, the app also sweeps expired reservations every `SWEEP_INTERVAL` seconds
so their units return to stock (reserve() reclaims expired units of its own level
as well, so the sweep is about freshness, not correctness).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from tortoise.exceptions import BaseORMException

from subgraphs.inventory.schema import schema
from subgraphs.inventory.seed import seed
from subgraphs.inventory.stock import expire_reservations
from subgraphs.kit.app import SubgraphSpec, create_subgraph_app

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.applications import Starlette

    from subgraphs.kit.pubsub import Broker
    from subgraphs.kit.settings import Settings

__all__ = ["PORT", "SPEC", "SWEEP_INTERVAL", "create_app", "sweep_expired_reservations"]

PORT = 4004
SWEEP_INTERVAL = 30.0

logger = logging.getLogger("agora.subgraphs")

SPEC = SubgraphSpec(
    name="inventory",
    schema=schema,
    models=["subgraphs.inventory.models"],
    seed=seed,
    migrations="subgraphs.inventory.migrations",
)


async def sweep_expired_reservations(
    broker: Broker | None, *, interval: float = SWEEP_INTERVAL
) -> None:
    """Expire overdue reservations every `interval` seconds, until cancelled."""
    while True:
        try:
            expired = await expire_reservations(broker=broker)
            if expired:
                logger.info("expired %d reservations", expired)
        except BaseORMException:
            logger.warning("reservation sweep failed; retrying", exc_info=True)
        await asyncio.sleep(interval)


def create_app(settings: Settings | None = None) -> Starlette:
    """The inventory subgraph alone: migrates, seeds, connects pub/sub, sweeps."""
    app = create_subgraph_app(SPEC, settings)
    broker: Broker = app.state.broker
    serve = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with serve(app):
            sweeper = asyncio.create_task(sweep_expired_reservations(broker))
            try:
                yield
            finally:
                sweeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeper

    app.router.lifespan_context = lifespan
    return app
