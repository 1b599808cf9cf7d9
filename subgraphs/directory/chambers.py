"""Chamber onboarding and membership administration.

`register_chamber` sets a chamber up at once: a new tenant id (accounts creates the
tenant when it hears CHAMBER_REGISTERED), a card key, and the caller as its first
member with the chamber_admin role. Members come by invitation (`invite_members`:
a pending membership and a signed token `register` accepts), by import, or by
asking to join (`join_chamber`, pending until an admin approves).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from subgraphs.directory.access import (
    administers,
    parse_id,
    require_chamber,
    require_chamber_admin,
)
from subgraphs.directory.cards import new_card_key
from subgraphs.directory.errors import NotChamberAdmin
from subgraphs.directory.events import (
    CHAMBER_REGISTERED,
    INVITATION_ISSUED,
    ChamberRegistered,
    InvitationIssued,
)
from subgraphs.directory.models import (
    Chamber,
    Invitation,
    MemberRole,
    Membership,
    MembershipStatus,
)
from subgraphs.kit.emails import normalise_email
from subgraphs.kit.errors import BadUserInput, BrokerUnavailable, Conflict, NotFound
from subgraphs.kit.invitations import issue_invitation_token

if TYPE_CHECKING:
    from subgraphs.kit.principal import Principal
    from subgraphs.kit.pubsub import Broker
    from subgraphs.kit.settings import Settings

__all__ = [
    "INVITATION_TTL",
    "MAX_INVITATIONS",
    "MemberPage",
    "accept_invitation",
    "allocate_numbers",
    "approve_membership",
    "cancel_membership",
    "invite_members",
    "join_chamber",
    "list_members",
    "register_chamber",
    "renew_membership",
    "set_member_role",
]

INVITATION_TTL = timedelta(days=14)
MAX_INVITATIONS = 100
MEMBERSHIP_TERM = timedelta(days=365)
_SLUG = re.compile(r"[^a-z0-9]+")


def _slugify(name: str) -> str:
    return _SLUG.sub("-", name.lower()).strip("-")[:60] or "chamber"


async def register_chamber(
    caller: Principal,
    *,
    name: str,
    region: str = "",
    timezone: str = "UTC",
    broker: Broker | None = None,
) -> Chamber:
    """A new chamber run by the caller. BadUserInput for an empty name."""
    clean = name.strip()
    if not clean or len(clean) > 200:
        raise BadUserInput(
            "A chamber needs a name (up to 200 characters).", field="name"
        )
    slug = _slugify(clean)
    async with in_transaction("directory"):
        if await Chamber.exists(slug=slug):
            slug = f"{slug}-{uuid.uuid4().hex[:6]}"
        chamber = await Chamber.create(
            tenant_id=str(uuid.uuid4()),
            name=clean,
            slug=slug,
            region=region.strip(),
            timezone=timezone or "UTC",
            card_key=new_card_key(),
            next_member_number=2,
        )
        now = datetime.now(UTC)
        await Membership.create(
            chamber=chamber,
            user_id=caller.user_id,
            role=MemberRole.CHAMBER_ADMIN,
            status=MembershipStatus.ACTIVE,
            number=1,
            joined_at=now,
            renews_at=now + MEMBERSHIP_TERM,
        )
    if broker is not None:
        event = ChamberRegistered(
            chamber_id=str(chamber.id),
            tenant_id=chamber.tenant_id,
            name=chamber.name,
            slug=chamber.slug,
            admin_user_id=caller.user_id,
        )
        try:
            await CHAMBER_REGISTERED.publish(broker, event)
        except BrokerUnavailable:
            pass  # stored; accounts also learns of chambers from the directory's data
    return chamber


async def allocate_numbers(chamber_id: uuid.UUID, count: int) -> int:
    """Reserve `count` member numbers; the first of them. Call inside a transaction."""
    await Chamber.filter(id=chamber_id).update(
        next_member_number=F("next_member_number") + count
    )
    chamber = await Chamber.get(id=chamber_id).only("id", "next_member_number")
    return chamber.next_member_number - count


async def invite_members(
    caller: Principal,
    settings: Settings,
    chamber_id: object,
    emails: list[str],
    *,
    role: MemberRole = MemberRole.MEMBER,
    broker: Broker | None = None,
) -> list[Invitation]:
    """An invitation (and a pending membership) per email, in the order given.

    Emails are normalised (kit.emails); a repeated email gets one invitation.
    BadUserInput for a malformed email or more than MAX_INVITATIONS at once.
    """
    chamber = await require_chamber_admin(caller, chamber_id)
    if not emails or len(emails) > MAX_INVITATIONS:
        raise BadUserInput(
            f"Invite between 1 and {MAX_INVITATIONS} emails at once.", field="emails"
        )
    normalised = list(dict.fromkeys(normalise_email(email) for email in emails))
    expires = datetime.now(UTC) + INVITATION_TTL
    invitations: list[Invitation] = []
    async with in_transaction("directory"):
        existing = {
            m.email: m
            for m in await Membership.filter(chamber=chamber, email__in=normalised)
        }
        missing = [email for email in normalised if email not in existing]
        first = await allocate_numbers(chamber.id, len(missing)) if missing else 0
        for offset, email in enumerate(missing):
            existing[email] = await Membership.create(
                chamber=chamber, email=email, role=role, number=first + offset
            )
        for email in normalised:
            invitation_id = uuid.uuid4()
            token = issue_invitation_token(
                settings,
                tenant_id=chamber.tenant_id,
                email=email,
                role=role.value,
                ttl=INVITATION_TTL.total_seconds(),
                invitation_id=str(invitation_id),
            )
            invitations.append(
                await Invitation.create(
                    id=invitation_id,
                    chamber=chamber,
                    membership=existing[email],
                    email=email,
                    role=role,
                    token=token,
                    invited_by=caller.user_id,
                    expires_at=expires,
                )
            )
    if broker is not None:
        for invitation in invitations:
            issued = InvitationIssued(
                invitation_id=str(invitation.id),
                chamber_id=str(chamber.id),
                tenant_id=chamber.tenant_id,
                email=invitation.email,
                role=invitation.role.value,
                token=invitation.token,
                expires_at=invitation.expires_at.isoformat(),
            )
            try:
                await INVITATION_ISSUED.publish(broker, chamber.tenant_id, issued)
            except BrokerUnavailable:
                break  # stored: the tokens are in the mutation's answer too
    return invitations


async def accept_invitation(invitation_id: str, user_id: str, tenant_id: str) -> bool:
    """Mark an invitation accepted and its membership active (accounts' event).

    Idempotent: an invitation already accepted, unknown, or of another tenant is
    left as it is (False).
    """
    try:
        key = uuid.UUID(invitation_id)
    except ValueError:
        return False
    async with in_transaction("directory"):
        invitation = (
            await Invitation.filter(
                id=key, accepted_at__isnull=True, chamber__tenant_id=tenant_id
            )
            .select_for_update()
            .first()
        )
        if invitation is None:
            return False
        now = datetime.now(UTC)
        invitation.accepted_at = now
        invitation.accepted_by = user_id
        await invitation.save(update_fields=["accepted_at", "accepted_by"])
        if invitation.membership_id is not None:
            await Membership.filter(id=invitation.membership_id).update(
                user_id=user_id,
                role=invitation.role,
                status=MembershipStatus.ACTIVE,
                joined_at=now,
                renews_at=now + MEMBERSHIP_TERM,
            )
    return True


async def join_chamber(caller: Principal, chamber_id: object) -> Membership:
    """Ask to join a chamber: a pending membership an admin approves."""
    chamber = await require_chamber(chamber_id)
    async with in_transaction("directory"):
        found = await Membership.get_or_none(chamber=chamber, user_id=caller.user_id)
        if found is not None:
            return found
        number = await allocate_numbers(chamber.id, 1)
        return await Membership.create(
            chamber=chamber, user_id=caller.user_id, number=number
        )


async def _managed(caller: Principal, membership_id: object) -> Membership:
    membership = await Membership.get_or_none(id=parse_id("Membership", membership_id))
    if membership is None:
        raise NotFound("Membership", str(membership_id))
    if not await administers(caller, membership.chamber_id):
        raise NotChamberAdmin()
    return membership


async def approve_membership(caller: Principal, membership_id: object) -> Membership:
    """PENDING -> ACTIVE for a year; Conflict for any other status."""
    membership = await _managed(caller, membership_id)
    if membership.status is not MembershipStatus.PENDING:
        raise Conflict(f"The membership is {membership.status.value.lower()}.")
    now = datetime.now(UTC)
    membership.status = MembershipStatus.ACTIVE
    membership.joined_at = now
    membership.renews_at = now + MEMBERSHIP_TERM
    await membership.save()
    return membership


async def set_member_role(
    caller: Principal, membership_id: object, role: MemberRole
) -> Membership:
    """Make a member an admin or a plain member; a chamber keeps one admin at least."""
    membership = await _managed(caller, membership_id)
    if role is MemberRole.MEMBER and membership.role is MemberRole.CHAMBER_ADMIN:
        admins = await Membership.filter(
            chamber_id=membership.chamber_id,
            role=MemberRole.CHAMBER_ADMIN,
            status=MembershipStatus.ACTIVE,
        ).count()
        if admins <= 1:
            raise Conflict("A chamber keeps at least one admin.")
    membership.role = role
    await membership.save()
    return membership


async def renew_membership(caller: Principal, membership_id: object) -> Membership:
    """One more term from the later of now and the current renewal date."""
    membership = await _managed(caller, membership_id)
    if membership.status is MembershipStatus.CANCELLED:
        raise Conflict("A cancelled membership cannot be renewed.")
    now = datetime.now(UTC)
    start = max(now, membership.renews_at or now)
    membership.renews_at = start + MEMBERSHIP_TERM
    membership.status = MembershipStatus.ACTIVE
    membership.joined_at = membership.joined_at or now
    await membership.save()
    return membership


async def cancel_membership(caller: Principal, membership_id: object) -> Membership:
    """Cancel a membership: its member, or an admin of its chamber."""
    membership = await Membership.get_or_none(id=parse_id("Membership", membership_id))
    if membership is None:
        raise NotFound("Membership", str(membership_id))
    if membership.user_id != caller.user_id and not await administers(
        caller, membership.chamber_id
    ):
        raise NotChamberAdmin()
    membership.status = MembershipStatus.CANCELLED
    await membership.save()
    return membership


@dataclass(frozen=True, slots=True)
class MemberPage:
    members: list[Membership]
    has_next_page: bool


async def list_members(
    caller: Principal,
    chamber_id: object,
    *,
    status: MembershipStatus | None = None,
    search: str | None = None,
    first: int = 50,
    after: int | None = None,
) -> MemberPage:
    """A chamber's members by number (admins only), after member number `after`."""
    chamber = await require_chamber_admin(caller, chamber_id)
    first = max(0, min(first, 200))
    query = Membership.filter(chamber=chamber)
    if status is not None:
        query = query.filter(status=status)
    if search:
        term = search.strip()
        query = query.filter(
            Q(display_name__icontains=term)
            | Q(email__icontains=term)
            | Q(company__icontains=term)
        )
    if after is not None:
        query = query.filter(number__gt=after)
    rows = await query.order_by("number").limit(first + 1)
    return MemberPage(members=list(rows[:first]), has_next_page=len(rows) > first)
