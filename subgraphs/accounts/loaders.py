"""Batch functions for accounts: one SELECT for any number of ids."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from subgraphs.accounts.models import Tenant, User
from subgraphs.kit.errors import NotFound

if TYPE_CHECKING:
    from subgraphs.kit.context import RequestContext


def parse_ids(keys: list[str]) -> dict[str, uuid.UUID]:
    """The keys that are valid UUIDs, mapped to them; the rest can match nothing."""
    parsed: dict[str, uuid.UUID] = {}
    for key in keys:
        try:
            parsed[key] = uuid.UUID(str(key))
        except ValueError:
            continue
    return parsed


async def load_users(ctx: RequestContext, keys: list[str]) -> list[User | Exception]:
    """Users by id, in key order; NotFound in the slot of a missing id."""
    parsed = parse_ids(keys)
    rows = await User.filter(id__in=list(set(parsed.values()))) if parsed else []
    by_id = {row.id: row for row in rows}
    return [
        by_id.get(parsed[key]) or NotFound("User", key)
        if key in parsed
        else NotFound("User", key)
        for key in keys
    ]


async def load_tenants(
    ctx: RequestContext, keys: list[str]
) -> list[Tenant | Exception]:
    """Tenants by id, in key order; NotFound in the slot of a missing id."""
    parsed = parse_ids(keys)
    rows = await Tenant.filter(id__in=list(set(parsed.values()))) if parsed else []
    by_id = {row.id: row for row in rows}
    return [
        by_id.get(parsed[key]) or NotFound("Tenant", key)
        if key in parsed
        else NotFound("Tenant", key)
        for key in keys
    ]
