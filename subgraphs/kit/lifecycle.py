"""The one start-up and shut-down sequence of subgraphs, standalone or embedded.

Start: open the databases (migrations, seeds), connect the broker, enter every
service factory (its result goes into the app's Services), start the background
tasks. Stop: the same in reverse, each step undone even when a later one failed.
`create_subgraph_app` runs it for one subgraph, `create_embedded` for all at once
(Tortoise's state is process-global, so one sequence must open every database).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from subgraphs.kit.background import run_background
from subgraphs.kit.database import close_databases, init_databases

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

    from subgraphs.kit.app import SubgraphSpec
    from subgraphs.kit.pubsub import Broker
    from subgraphs.kit.services import Services
    from subgraphs.kit.settings import Settings

__all__ = ["prepare_subgraphs", "run_subgraphs"]


async def prepare_subgraphs(specs: Sequence[SubgraphSpec], settings: Settings) -> None:
    """Open the databases of `specs`, apply their migrations and run their seeds."""
    await init_databases(specs, settings)
    try:
        for spec in specs:
            if spec.seed is not None:
                await spec.seed(settings)
    except BaseException:
        await close_databases()
        raise


@contextlib.asynccontextmanager
async def run_subgraphs(
    specs: Sequence[tuple[SubgraphSpec, Services]],
    settings: Settings,
    broker: Broker,
) -> AsyncIterator[None]:
    """Run `specs` (each with the Services of its app) for the duration of the block."""
    await prepare_subgraphs([spec for spec, _ in specs], settings)
    try:
        await broker.connect()
        try:
            async with contextlib.AsyncExitStack() as stack:
                for spec, services in specs:
                    stack.callback(services.clear)
                    for factory in spec.services:
                        services.add(
                            await stack.enter_async_context(factory(settings, broker))
                        )
                background = [task for spec, _ in specs for task in spec.background]
                await stack.enter_async_context(
                    run_background(background, broker, settings)
                )
                yield
        finally:
            await broker.disconnect()
    finally:
        await close_databases()
