"""The directory subgraph app: `SPEC` for embedding, `create_app()` to run alone.

Services: the import queue (queue.py). Background: following accepted
invitations (invitations.py) and announcing the chambers' tenants to accounts
(tenants.py). Accepts GraphQL multipart requests (member files).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from subgraphs.directory.invitations import follow_invitations
from subgraphs.directory.queue import import_queue
from subgraphs.directory.schema import schema
from subgraphs.directory.seed import seed
from subgraphs.directory.tenants import announce_chambers
from subgraphs.kit.app import SubgraphSpec, create_subgraph_app

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from subgraphs.kit.settings import Settings

__all__ = ["PORT", "SPEC", "create_app"]

PORT = 4002

SPEC = SubgraphSpec(
    name="directory",
    schema=schema,
    models=["subgraphs.directory.models"],
    seed=seed,
    services=[import_queue],
    background=[follow_invitations, announce_chambers],
    multipart_uploads=True,
)


def create_app(settings: Settings | None = None) -> Starlette:
    """The directory subgraph alone: migrations, seed, pub/sub, the import queue."""
    return create_subgraph_app(SPEC, settings)
