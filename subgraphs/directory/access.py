"""Who may do what in the directory, decided in SQL.

A chamber's admins are its active members with the chamber_admin role (the
directory's own rows, so one user may run one chamber and belong to another);
platform admins run every chamber. Every signed-in user may read the directory.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from subgraphs.directory.errors import NotChamberAdmin
from subgraphs.directory.models import Chamber, MemberRole, Membership, MembershipStatus
from subgraphs.kit.errors import NotFound

if TYPE_CHECKING:
    from subgraphs.kit.principal import Principal

__all__ = ["administers", "parse_id", "require_chamber", "require_chamber_admin"]


def parse_id(kind: str, value: object) -> uuid.UUID:
    """`value` as a UUID; NotFound (not a 500) for anything else."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(kind, str(value)) from None


async def require_chamber(chamber_id: object) -> Chamber:
    chamber = await Chamber.get_or_none(id=parse_id("Chamber", chamber_id))
    if chamber is None:
        raise NotFound("Chamber", str(chamber_id))
    return chamber


async def administers(caller: Principal, chamber_id: uuid.UUID) -> bool:
    """True when the caller runs the chamber (one SELECT, none for platform admins)."""
    if caller.is_platform_admin:
        return True
    return await Membership.exists(
        chamber_id=chamber_id,
        user_id=caller.user_id,
        role=MemberRole.CHAMBER_ADMIN,
        status=MembershipStatus.ACTIVE,
    )


async def require_chamber_admin(caller: Principal, chamber_id: object) -> Chamber:
    """The chamber, when the caller runs it: NotFound, else NotChamberAdmin."""
    chamber = await require_chamber(chamber_id)
    if not await administers(caller, chamber.id):
        raise NotChamberAdmin()
    return chamber
