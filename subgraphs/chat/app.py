"""The chat subgraph app: `SPEC` for embedding, `create_app()` to run alone."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from subgraphs.kit.app import SubgraphSpec, create_subgraph_app
from subgraphs.kit.settings import Settings

from .runtime import ChatRuntime
from .schema import schema
from .seed import seed

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.applications import Starlette

__all__ = ["PORT", "SPEC", "create_app"]

PORT = 4003

SPEC = SubgraphSpec(
    name="chat",
    schema=schema,
    models=["subgraphs.chat.models"],
    seed=seed,
    migrations="subgraphs.chat.migrations",
)


def create_app(
    settings: Settings | None = None, *, typing_ttl: float | None = None
) -> Starlette:
    """The chat subgraph alone: migrations, seed, pub/sub, rate limits, presence.

    `typing_ttl` overrides CHAT_TYPING_TTL. Embedded beside other subgraphs (kit's
    create_embedded), the chat runtime is made on the first request instead.
    """
    settings = settings or Settings.from_env()
    app = create_subgraph_app(SPEC, settings)
    app.state.chat = ChatRuntime.from_settings(
        settings, app.state.broker, typing_ttl=typing_ttl
    )
    kit_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            async with kit_lifespan(app):
                yield
        finally:
            await app.state.chat.close()

    app.router.lifespan_context = lifespan
    return app
