"""Batch functions for the directory's DataLoaders: one SELECT per batch of keys.

Each returns one value per key in key order (kit BatchKeys), NotFound in the slot
of a missing id, an empty list for a one-to-many key with no rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from subgraphs.directory.models import (
    Business,
    BusinessCategory,
    Category,
    Chamber,
    Event,
    MemberRole,
    Membership,
    MembershipStatus,
)
from subgraphs.kit.loaders import BatchKeys, group_by_text, load_by_ids
from subgraphs.kit.principal import Role

if TYPE_CHECKING:
    from subgraphs.kit.context import RequestContext

__all__ = [
    "load_administered",
    "load_businesses",
    "load_businesses_of_owners",
    "load_categories_of_businesses",
    "load_chambers",
    "load_events",
    "load_memberships",
    "load_memberships_of_users",
]


async def load_chambers(
    ctx: RequestContext, keys: list[str]
) -> list[Chamber | Exception]:
    return await load_by_ids(Chamber, keys, "Chamber")


async def load_businesses(
    ctx: RequestContext, keys: list[str]
) -> list[Business | Exception]:
    return await load_by_ids(Business, keys, "Business")


async def load_memberships(
    ctx: RequestContext, keys: list[str]
) -> list[Membership | Exception]:
    return await load_by_ids(Membership, keys, "Membership")


async def load_events(ctx: RequestContext, keys: list[str]) -> list[Event | Exception]:
    return await load_by_ids(Event, keys, "Event")


async def load_categories_of_businesses(
    ctx: RequestContext, keys: list[str]
) -> list[list[Category] | Exception]:
    """Each business's categories by name (one SELECT with a JOIN)."""
    batch = BatchKeys.of(keys)
    if not batch:
        return [[] for _ in keys]
    links = (
        await BusinessCategory.filter(business_id__in=batch.ids)
        .select_related("category")
        .order_by("category__name")
    )
    grouped = batch.grouped(links, "business_id")
    return [[link.category for link in group] for group in grouped]


async def load_memberships_of_users(
    ctx: RequestContext, keys: list[str]
) -> list[list[Membership] | Exception]:
    """Each user's memberships that are not cancelled (user ids are strings)."""
    rows = (
        await Membership.filter(user_id__in=list(set(keys)))
        .exclude(status=MembershipStatus.CANCELLED)
        .order_by("created_at")
    )
    return list(group_by_text(keys, rows, "user_id"))


async def load_businesses_of_owners(
    ctx: RequestContext, keys: list[str]
) -> list[list[Business] | Exception]:
    rows = await Business.filter(owner_id__in=list(set(keys))).order_by("name")
    return list(group_by_text(keys, rows, "owner_id"))


async def load_administered(
    ctx: RequestContext, keys: list[str]
) -> list[bool | Exception]:
    """Whether the caller runs each chamber (one SELECT for any number)."""
    if ctx.user_id is None:
        return [False for _ in keys]
    if Role.PLATFORM_ADMIN in ctx.roles:
        return [True for _ in keys]
    batch = BatchKeys.of(keys)
    rows = await Membership.filter(
        chamber_id__in=batch.ids,
        user_id=ctx.user_id,
        role=MemberRole.CHAMBER_ADMIN,
        status=MembershipStatus.ACTIVE,
    ).values_list("chamber_id", flat=True)
    administered = {str(chamber_id) for chamber_id in rows}
    return [key in administered for key in keys]
