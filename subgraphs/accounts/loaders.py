"""Batch functions for accounts: one SELECT for any number of ids."""

from __future__ import annotations

from typing import TYPE_CHECKING

from subgraphs.accounts.models import Tenant, User
from subgraphs.kit.errors import NotFound
from subgraphs.kit.loaders import BatchKeys

if TYPE_CHECKING:
    from subgraphs.kit.context import RequestContext


async def load_users(ctx: RequestContext, keys: list[str]) -> list[User | Exception]:
    """Users by id, in key order; NotFound in the slot of a missing id."""
    batch = BatchKeys.of(keys)
    rows = await User.filter(id__in=batch.ids) if batch else []
    return batch.one_each(rows, lambda key: NotFound("User", key))


async def load_tenants(
    ctx: RequestContext, keys: list[str]
) -> list[Tenant | Exception]:
    """Tenants by id, in key order; NotFound in the slot of a missing id."""
    batch = BatchKeys.of(keys)
    rows = await Tenant.filter(id__in=batch.ids) if batch else []
    return batch.one_each(rows, lambda key: NotFound("Tenant", key))
