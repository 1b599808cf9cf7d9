"""Batch functions for accounts: one SELECT for any number of ids."""

from __future__ import annotations

from typing import TYPE_CHECKING

from subgraphs.accounts.models import Tenant, User
from subgraphs.kit.loaders import load_by_ids

if TYPE_CHECKING:
    from subgraphs.kit.context import RequestContext


async def load_users(ctx: RequestContext, keys: list[str]) -> list[User | Exception]:
    """Users by id, in key order; NotFound in the slot of a missing id."""
    return await load_by_ids(User, keys, "User")


async def load_tenants(
    ctx: RequestContext, keys: list[str]
) -> list[Tenant | Exception]:
    """Tenants by id, in key order; NotFound in the slot of a missing id."""
    return await load_by_ids(Tenant, keys, "Tenant")
