"""The business directory: listing and searching, and the changes owners and admins
make. Every signed-in user reads it; a business's owner or its chamber's admins
edit it; only admins verify it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tortoise.transactions import in_transaction

from subgraphs.directory.access import administers, parse_id, require_chamber
from subgraphs.directory.errors import NotChamberAdmin
from subgraphs.directory.models import (
    Business,
    BusinessCategory,
    Category,
    Membership,
    MembershipStatus,
)
from subgraphs.directory.search import (
    BusinessQuery,
    Near,
    businesses_in_order,
    search_business_ids,
)
from subgraphs.kit.errors import BadUserInput, Forbidden, NotFound

if TYPE_CHECKING:
    from subgraphs.kit.principal import Principal

__all__ = [
    "BusinessChanges",
    "BusinessPage",
    "create_business",
    "list_businesses",
    "update_business",
    "verify_business",
]

MAX_PAGE = 100
_WEBSITE = re.compile(r"https?://[^\s/$.?#].[^\s]*", re.I).fullmatch


@dataclass(frozen=True, slots=True)
class BusinessPage:
    businesses: list[Business]
    offset: int
    has_next_page: bool


async def list_businesses(
    *,
    chamber_id: object | None = None,
    search: str | None = None,
    categories: list[str] | None = None,
    near: Near | None = None,
    first: int = 20,
    offset: int = 0,
) -> BusinessPage:
    """One page of businesses: best matches first when searching, else by name.

    Two statements whatever the page size: the ids in order, then the rows.
    """
    if near is not None and not (0 < near.km <= 500):
        raise BadUserInput("near.km must be between 0 and 500.", field="near")
    first = max(0, min(first, MAX_PAGE))
    query = BusinessQuery(
        chamber_id=None if chamber_id is None else parse_id("Chamber", chamber_id),
        search=search,
        categories=tuple(categories or ()),
        near=near,
        limit=first + 1,
        offset=max(0, offset),
    )
    ids = await search_business_ids(query)
    rows = await businesses_in_order(ids[:first])
    return BusinessPage(rows, query.offset, has_next_page=len(ids) > first)


@dataclass(frozen=True, slots=True)
class BusinessChanges:
    """Fields to change; None leaves a field as it is."""

    name: str | None = None
    description: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    phone: str | None = None
    website: str | None = None
    opening_hours: dict[str, Any] | None = None
    categories: list[str] | None = field(default=None)


def _checked(changes: BusinessChanges) -> dict[str, Any]:
    values = {
        name: getattr(changes, name)
        for name in (
            "name",
            "description",
            "address",
            "latitude",
            "longitude",
            "phone",
            "website",
            "opening_hours",
        )
        if getattr(changes, name) is not None
    }
    if "name" in values:
        values["name"] = values["name"].strip()
        if not values["name"] or len(values["name"]) > 200:
            raise BadUserInput("A business needs a name (up to 200).", field="name")
    if values.get("website") and not _WEBSITE(values["website"]):
        raise BadUserInput("website must be an http(s) URL.", field="website")
    if "latitude" in values and not -90 <= values["latitude"] <= 90:
        raise BadUserInput("latitude must be within -90..90.", field="latitude")
    if "longitude" in values and not -180 <= values["longitude"] <= 180:
        raise BadUserInput("longitude must be within -180..180.", field="longitude")
    return values


async def _set_categories(business: Business, slugs: list[str]) -> None:
    found = await Category.filter(slug__in=slugs)
    unknown = sorted(set(slugs) - {c.slug for c in found})
    if unknown:
        raise BadUserInput(
            f"Unknown categories: {', '.join(unknown)}.", field="categories"
        )
    await BusinessCategory.filter(business=business).delete()
    await BusinessCategory.bulk_create(
        [BusinessCategory(business=business, category=c) for c in found]
    )


async def create_business(
    caller: Principal, chamber_id: object, changes: BusinessChanges
) -> Business:
    """A business of the caller's in a chamber they are an active member of."""
    chamber = await require_chamber(chamber_id)
    member = await Membership.exists(
        chamber=chamber, user_id=caller.user_id, status=MembershipStatus.ACTIVE
    )
    if not member and not await administers(caller, chamber.id):
        raise Forbidden("Only the chamber's active members list a business.")
    values = _checked(changes)
    if "name" not in values:
        raise BadUserInput("A business needs a name.", field="name")
    async with in_transaction("directory"):
        business = await Business.create(
            chamber=chamber, owner_id=caller.user_id, **values
        )
        if changes.categories:
            await _set_categories(business, changes.categories)
    return business


async def _editable(caller: Principal, business_id: object) -> Business:
    business = await Business.get_or_none(id=parse_id("Business", business_id))
    if business is None:
        raise NotFound("Business", str(business_id))
    if business.owner_id != caller.user_id and not await administers(
        caller, business.chamber_id
    ):
        raise Forbidden("Only the owner or the chamber's admins edit a business.")
    return business


async def update_business(
    caller: Principal, business_id: object, changes: BusinessChanges
) -> Business:
    business = await _editable(caller, business_id)
    values = _checked(changes)
    async with in_transaction("directory"):
        if values:
            await Business.filter(id=business.id).update(**values)
        if changes.categories is not None:
            await _set_categories(business, changes.categories)
    await business.refresh_from_db()
    return business


async def verify_business(
    caller: Principal, business_id: object, verified: bool = True
) -> Business:
    business = await Business.get_or_none(id=parse_id("Business", business_id))
    if business is None:
        raise NotFound("Business", str(business_id))
    if not await administers(caller, business.chamber_id):
        raise NotChamberAdmin()
    business.verified = verified
    await business.save(update_fields=["verified", "updated_at"])
    return business
