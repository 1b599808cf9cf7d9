"""Several subgraphs in one process, sharing one database init and one broker.

Tortoise's state is process-global, so one lifespan must open every subgraph's
connection at once; the apps themselves do nothing at start-up.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from subgraphs.kit.app import create_subgraph_app
from subgraphs.kit.lifecycle import run_subgraphs
from subgraphs.kit.pubsub import Broker
from subgraphs.kit.services import Services

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
    connects the shared broker (in-memory unless settings.redis_url is set), starts
    every spec's services and background tasks until it exits: the same sequence as
    a subgraph alone (subgraphs.kit.lifecycle).
    """
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"expected distinct subgraph names, got {names}")
    broker = Broker.from_settings(settings)
    running = [(spec, Services()) for spec in specs]
    apps: dict[str, ASGIApp] = {
        spec.name: create_subgraph_app(
            spec,
            settings,
            broker=broker,
            standalone=False,
            services=services,
        )
        for spec, services in running
    }

    @contextlib.asynccontextmanager
    async def lifespan(app: Any = None) -> AsyncIterator[None]:
        async with run_subgraphs(running, settings, broker):
            yield

    return apps, lifespan
