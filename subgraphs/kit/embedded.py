"""Several subgraphs in one process, sharing one database init and one broker.

Tortoise's state is process-global, so one lifespan must open every subgraph's
connection at once; the apps themselves do nothing at start-up.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from subgraphs.kit.app import create_subgraph_app, prepare_subgraphs
from subgraphs.kit.background import run_background
from subgraphs.kit.database import close_databases
from subgraphs.kit.pubsub import Broker

if TYPE_CHECKING:
    from collections.abc import Sequence

    from starlette.types import ASGIApp

    from subgraphs.kit.app import SubgraphSpec
    from subgraphs.kit.settings import Settings

Lifespan = Callable[[Any], contextlib.AbstractAsyncContextManager[None]]


def create_embedded(
    specs: Sequence[SubgraphSpec], settings: Settings
) -> tuple[dict[str, ASGIApp], Lifespan]:
    """Apps by subgraph name, and the one lifespan that must wrap them all.

    The lifespan takes any argument (the outer app) so it can be given straight to
    `Starlette(lifespan=...)`; it opens the databases, applies migrations, seeds, and
    connects the shared broker (in-memory unless settings.redis_url is set), and runs
    every spec's background tasks until it exits.
    """
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"expected distinct subgraph names, got {names}")
    broker = Broker.from_settings(settings)
    background = [task for spec in specs for task in spec.background]
    apps: dict[str, ASGIApp] = {
        spec.name: create_subgraph_app(spec, settings, broker=broker, standalone=False)
        for spec in specs
    }

    @contextlib.asynccontextmanager
    async def lifespan(app: Any = None) -> AsyncIterator[None]:
        await prepare_subgraphs(list(specs), settings)
        try:
            await broker.connect()
            try:
                async with run_background(background, broker, settings):
                    yield
            finally:
                await broker.disconnect()
        finally:
            await close_databases()

    return apps, lifespan
