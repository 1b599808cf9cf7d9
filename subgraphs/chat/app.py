"""The chat subgraph app: `SPEC` for embedding, `create_app()` to run alone."""

from __future__ import annotations

import dataclasses
import functools
from typing import TYPE_CHECKING

from subgraphs.chat.runtime import chat_runtime
from subgraphs.chat.schema import schema
from subgraphs.chat.seed import seed
from subgraphs.kit.app import SubgraphSpec, create_subgraph_app

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from subgraphs.kit.settings import Settings

__all__ = ["PORT", "SPEC", "create_app"]

PORT = 4003

SPEC = SubgraphSpec(
    name="chat",
    schema=schema,
    models=["subgraphs.chat.models"],
    seed=seed,
    migrations="subgraphs.chat.migrations",
    # Makes the Redis clients (rate limits, presence) at start-up, sweeps expired
    # presence, closes them at shutdown: standalone and embedded alike.
    services=[chat_runtime],
)


def create_app(
    settings: Settings | None = None, *, typing_ttl: float | None = None
) -> Starlette:
    """The chat subgraph alone: migrations, seed, pub/sub, rate limits, presence.

    `typing_ttl` overrides CHAT_TYPING_TTL. Embedded beside other subgraphs (kit's
    create_embedded), SPEC's service makes the runtime from the settings.
    """
    spec = SPEC
    if typing_ttl is not None:
        factory = functools.partial(chat_runtime, typing_ttl=typing_ttl)
        spec = dataclasses.replace(SPEC, services=[factory])
    return create_subgraph_app(spec, settings)
