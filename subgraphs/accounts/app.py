"""The accounts subgraph app: `SPEC` for embedding, `create_app()` to run alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from subgraphs.accounts.schema import schema
from subgraphs.accounts.seed import seed
from subgraphs.accounts.sync import sync_user_directory
from subgraphs.accounts.tenants import follow_chambers
from subgraphs.kit.app import SubgraphSpec, create_subgraph_app

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from subgraphs.kit.settings import Settings

PORT = 4001

SPEC = SubgraphSpec(
    name="accounts",
    schema=schema,
    models=["subgraphs.accounts.models"],
    seed=seed,
    migrations="subgraphs.accounts.migrations",
    background=[sync_user_directory, follow_chambers],
)


def create_app(settings: Settings | None = None) -> Starlette:
    """The accounts subgraph alone: its lifespan migrates, seeds, connects pub/sub."""
    return create_subgraph_app(SPEC, settings)
