"""The directory subgraph schema: chambers, members, businesses, events, imports, cards.

Resolvers are thin: they take the caller (kit Principal) and call the domain
modules (chambers, businesses, agenda, importing, cards); every relation and every
`resolve_reference` goes through a per-request DataLoader of `loaders`.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import (
    AsyncGenerator,  # noqa: TC003 - Strawberry reads it
)
from datetime import datetime  # noqa: TC003 - Strawberry reads annotations at runtime
from typing import TYPE_CHECKING, Annotated, TypeVar

import strawberry
from strawberry.file_uploads import Upload  # noqa: TC002 - Strawberry reads it
from strawberry.scalars import JSON
from strawberry.types import Info

from subgraphs.directory import agenda, businesses, cards, chambers, progress
from subgraphs.directory import models as rows
from subgraphs.directory.access import administers, parse_id, require_chamber_admin
from subgraphs.directory.importing import error_report
from subgraphs.directory.loaders import (
    load_administered,
    load_businesses,
    load_businesses_of_owners,
    load_categories_of_businesses,
    load_chambers,
    load_events,
    load_memberships,
    load_memberships_of_users,
)
from subgraphs.directory.queue import ImportQueue
from subgraphs.directory.search import Near
from subgraphs.directory.uploads import receive_member_file
from subgraphs.kit import SubgraphSchema
from subgraphs.kit.after_commit import after_commit
from subgraphs.kit.context import RequestContext
from subgraphs.kit.entities import EntityReference
from subgraphs.kit.errors import BadUserInput, Forbidden, NotFound
from subgraphs.kit.pagination import Connection, decode_cursor, encode_cursor
from subgraphs.kit.principal import Principal

if TYPE_CHECKING:
    from collections.abc import (
        Callable,
        Sequence,
    )

DirectoryInfo = Info[RequestContext, None]

strawberry.enum(rows.MembershipStatus, name="MembershipStatus")
MembershipStatus = rows.MembershipStatus
strawberry.enum(rows.MemberRole, name="MemberRole")
MemberRole = rows.MemberRole
strawberry.enum(rows.ImportStatus, name="ImportStatus")
ImportStatus = rows.ImportStatus


def _caller(info: DirectoryInfo) -> Principal:
    return Principal.from_context(info.context)


def _id(value: object) -> strawberry.ID:
    return strawberry.ID(str(value))


def _offset(after: str | None) -> int:
    if after is None:
        return 0
    value = decode_cursor("offset", after)
    if value is None or not value.isdigit():
        raise BadUserInput("after is not a valid cursor", field="after")
    return int(value) + 1


@strawberry.federation.type(keys=["id"])
class User(EntityReference):
    """A person; accounts owns the rest of its fields."""

    @strawberry.federation.field(
        description="The user's chamber memberships (not cancelled).",
        authenticated=True,
    )
    async def memberships(self, info: DirectoryInfo) -> list[Membership]:
        found = await info.context.loader(load_memberships_of_users).load(str(self.id))
        return [Membership.from_row(row) for row in found]

    @strawberry.federation.field(
        description="Businesses the user owns.", authenticated=True
    )
    async def businesses(self, info: DirectoryInfo) -> list[Business]:
        found = await info.context.loader(load_businesses_of_owners).load(str(self.id))
        return [Business.from_row(row) for row in found]


@strawberry.federation.type(keys=["id"])
class Chamber:
    id: strawberry.ID
    tenant_id: strawberry.ID
    name: str
    slug: str
    region: str
    timezone: str
    card_public_key: str = strawberry.field(
        description="Ed25519 public key (raw, base64url) that verifies this "
        "chamber's membership cards offline."
    )

    @classmethod
    def from_row(cls, row: rows.Chamber) -> Chamber:
        return cls(
            id=_id(row.id),
            tenant_id=_id(row.tenant_id),
            name=row.name,
            slug=row.slug,
            region=row.region,
            timezone=row.timezone,
            card_public_key=cards.public_key_of(row),
        )

    @classmethod
    async def resolve_reference(cls, id: strawberry.ID, info: DirectoryInfo) -> Chamber:
        return cls.from_row(await info.context.loader(load_chambers).load(str(id)))

    @strawberry.field(description="The chamber's events in [from, to), soonest first.")
    async def events(
        self,
        info: DirectoryInfo,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
    ) -> list[Event]:
        _caller(info)
        found = await agenda.list_events(self.id, start=from_, end=to)
        return [Event.from_row(row) for row in found]


@strawberry.federation.type(keys=["id"])
class Membership:
    id: strawberry.ID
    chamber_id: strawberry.ID
    user_id: strawberry.ID | None
    display_name: str
    company: str
    tier: str
    role: MemberRole
    status: MembershipStatus
    number: int
    joined_at: datetime | None
    renews_at: datetime | None
    _email: strawberry.Private[str | None]

    @classmethod
    def from_row(cls, row: rows.Membership) -> Membership:
        return cls(
            id=_id(row.id),
            chamber_id=_id(row.chamber_id),
            user_id=None if row.user_id is None else _id(row.user_id),
            display_name=row.display_name,
            company=row.company,
            tier=row.tier,
            role=row.role,
            status=row.status,
            number=row.number,
            joined_at=row.joined_at,
            renews_at=row.renews_at,
            _email=row.email,
        )

    @classmethod
    async def resolve_reference(
        cls, id: strawberry.ID, info: DirectoryInfo
    ) -> Membership:
        return cls.from_row(await info.context.loader(load_memberships).load(str(id)))

    @strawberry.field
    async def chamber(self, info: DirectoryInfo) -> Chamber:
        row = await info.context.loader(load_chambers).load(str(self.chamber_id))
        return Chamber.from_row(row)

    @strawberry.field(description="The member's account; null until they have one.")
    def user(self) -> User | None:
        return None if self.user_id is None else User(id=self.user_id)

    @strawberry.field(description="Seen by the member and the chamber's admins.")
    async def email(self, info: DirectoryInfo) -> str | None:
        caller = _caller(info)
        if self.user_id is not None and str(self.user_id) == caller.user_id:
            return self._email
        loader = info.context.loader(load_administered)
        return self._email if await loader.load(str(self.chamber_id)) else None


@strawberry.type
class Invitation:
    id: strawberry.ID
    email: str
    role: MemberRole
    token: str = strawberry.field(
        description="What `register(input: {invitationToken})` takes."
    )
    expires_at: datetime
    accepted_at: datetime | None
    membership_id: strawberry.ID | None

    @classmethod
    def from_row(cls, row: rows.Invitation) -> Invitation:
        return cls(
            id=_id(row.id),
            email=row.email,
            role=row.role,
            token=row.token,
            expires_at=row.expires_at,
            accepted_at=row.accepted_at,
            membership_id=None if row.membership_id is None else _id(row.membership_id),
        )


@strawberry.type
class Category:
    slug: str
    name: str


@strawberry.type
class GeoPoint:
    lat: float
    lng: float


@strawberry.federation.type(keys=["id"])
class Business:
    id: strawberry.ID
    chamber_id: strawberry.ID
    owner_id: strawberry.ID | None
    name: str
    description: str
    address: str
    location: GeoPoint | None
    phone: str
    website: str
    opening_hours: JSON
    verified: bool

    @classmethod
    def from_row(cls, row: rows.Business) -> Business:
        location = (
            GeoPoint(lat=row.latitude, lng=row.longitude)
            if row.latitude is not None and row.longitude is not None
            else None
        )
        return cls(
            id=_id(row.id),
            chamber_id=_id(row.chamber_id),
            owner_id=None if row.owner_id is None else _id(row.owner_id),
            name=row.name,
            description=row.description,
            address=row.address,
            location=location,
            phone=row.phone,
            website=row.website,
            opening_hours=JSON(row.opening_hours),
            verified=row.verified,
        )

    @classmethod
    async def resolve_reference(
        cls, id: strawberry.ID, info: DirectoryInfo
    ) -> Business:
        return cls.from_row(await info.context.loader(load_businesses).load(str(id)))

    @strawberry.field
    async def chamber(self, info: DirectoryInfo) -> Chamber:
        row = await info.context.loader(load_chambers).load(str(self.chamber_id))
        return Chamber.from_row(row)

    @strawberry.field
    def owner(self) -> User | None:
        return None if self.owner_id is None else User(id=self.owner_id)

    @strawberry.field
    async def categories(self, info: DirectoryInfo) -> list[Category]:
        found = await info.context.loader(load_categories_of_businesses).load(
            str(self.id)
        )
        return [Category(slug=c.slug, name=c.name) for c in found]


@strawberry.federation.type(keys=["id"])
class Event:
    id: strawberry.ID
    chamber_id: strawberry.ID
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue: str
    capacity: int
    registered_count: int

    @classmethod
    def from_row(cls, row: rows.Event) -> Event:
        return cls(
            id=_id(row.id),
            chamber_id=_id(row.chamber_id),
            title=row.title,
            description=row.description,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            timezone=row.timezone,
            venue=row.venue,
            capacity=row.capacity,
            registered_count=row.registered,
        )

    @classmethod
    async def resolve_reference(cls, id: strawberry.ID, info: DirectoryInfo) -> Event:
        return cls.from_row(await info.context.loader(load_events).load(str(id)))

    @strawberry.field
    def places_left(self) -> int:
        return max(0, self.capacity - self.registered_count)

    @strawberry.field
    async def chamber(self, info: DirectoryInfo) -> Chamber:
        row = await info.context.loader(load_chambers).load(str(self.chamber_id))
        return Chamber.from_row(row)


@strawberry.type
class Registration:
    id: strawberry.ID
    event_id: strawberry.ID
    user: User
    created_at: datetime

    @classmethod
    def from_row(cls, row: rows.Registration) -> Registration:
        return cls(
            id=_id(row.id),
            event_id=_id(row.event_id),
            user=User(id=_id(row.user_id)),
            created_at=row.created_at,
        )

    @strawberry.field
    async def event(self, info: DirectoryInfo) -> Event:
        return Event.from_row(
            await info.context.loader(load_events).load(self.event_id)
        )


@strawberry.type
class ImportRowError:
    row: int
    email: str
    message: str


@strawberry.type
class ImportJob:
    id: strawberry.ID
    chamber_id: strawberry.ID
    filename: str
    status: ImportStatus
    processed: int
    created: int
    updated: int
    failed: int
    error: str | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: rows.ImportJob) -> ImportJob:
        return cls(
            id=_id(row.id),
            chamber_id=_id(row.chamber_id),
            filename=row.filename,
            status=row.status,
            processed=row.processed,
            created=row.created,
            updated=row.updated,
            failed=row.failed,
            error=row.error,
            created_at=row.created_at,
            finished_at=row.finished_at,
        )

    @strawberry.field(description="Row errors, in file order (first 1000).")
    async def errors(self, first: int = 100) -> list[ImportRowError]:
        found = (
            await rows.ImportRowError.filter(job_id=self.id)
            .order_by("row")
            .limit(max(0, min(first, 1000)))
        )
        return [
            ImportRowError(row=e.row, email=e.email, message=e.message) for e in found
        ]

    @strawberry.field(
        description="Every row error as a CSV download (a data: URL), null when "
        "there is none."
    )
    async def error_report_url(self) -> str | None:
        if not self.failed:
            return None
        job = await rows.ImportJob.get(id=self.id)
        text = await error_report(job)
        encoded = base64.b64encode(text.encode()).decode()
        return f"data:text/csv;base64,{encoded}"


@strawberry.type
class ImportProgress:
    job_id: strawberry.ID
    status: ImportStatus
    processed: int
    created: int
    updated: int
    failed: int
    errors: list[ImportRowError]
    error: str | None


@strawberry.type
class MembershipCard:
    membership_id: strawberry.ID
    filename: str
    content_type: str
    pdf_base64: str
    token: str = strawberry.field(description="The signed token the QR code holds.")


@strawberry.type
class CardVerification:
    valid: bool
    membership_id: strawberry.ID | None
    chamber_id: strawberry.ID | None
    number: int | None
    name: str | None
    valid_until: datetime | None
    status: MembershipStatus | None


@strawberry.input
class RegisterChamberInput:
    name: str
    region: str = ""
    timezone: str = "UTC"


@strawberry.input
class NearInput:
    lat: float
    lng: float
    km: float


@strawberry.input
class BusinessInput:
    name: str | None = None
    description: str | None = None
    address: str | None = None
    lat: float | None = None
    lng: float | None = None
    phone: str | None = None
    website: str | None = None
    opening_hours: JSON | None = None
    categories: list[str] | None = None

    def changes(self) -> businesses.BusinessChanges:
        hours = self.opening_hours
        if hours is not None and not isinstance(hours, dict):
            # JSON admits any value; the hours are stored and shown as an object.
            raise BadUserInput("openingHours must be an object (day -> hours).")
        return businesses.BusinessChanges(
            name=self.name,
            description=self.description,
            address=self.address,
            latitude=self.lat,
            longitude=self.lng,
            phone=self.phone,
            website=self.website,
            opening_hours=hours,
            categories=self.categories,
        )


@strawberry.input
class CreateEventInput:
    title: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    timezone: str | None = None
    venue: str = ""
    description: str = ""


R = TypeVar("R")
N = TypeVar("N")


def _connection(
    found: Sequence[R],
    convert: Callable[[R], N],
    offset: int,
    has_next_page: bool,
) -> Connection[N]:
    return Connection.of(
        [
            (convert(row), encode_cursor("offset", offset + index))
            for index, row in enumerate(found)
        ],
        has_next_page=has_next_page,
        has_previous_page=offset > 0,
    )


@strawberry.type
class Query:
    @strawberry.federation.field(authenticated=True)
    async def chamber(self, info: DirectoryInfo, id: strawberry.ID) -> Chamber | None:
        _caller(info)
        try:
            row = await info.context.loader(load_chambers).load(str(id))
        except NotFound:
            return None
        return Chamber.from_row(row)

    @strawberry.federation.field(
        description="Every chamber, by name (the directory is public to users).",
        authenticated=True,
    )
    async def chambers(self, info: DirectoryInfo, first: int = 50) -> list[Chamber]:
        _caller(info)
        found = await rows.Chamber.all().order_by("name").limit(max(0, min(first, 200)))
        return [Chamber.from_row(row) for row in found]

    @strawberry.federation.field(
        description="A chamber's members by number (its admins only).",
        authenticated=True,
    )
    async def members(
        self,
        info: DirectoryInfo,
        chamber_id: strawberry.ID,
        status: MembershipStatus | None = None,
        search: str | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[Membership]:
        number = None
        if after is not None:
            value = decode_cursor("member", after)
            if value is None or not value.isdigit():
                raise BadUserInput("after is not a valid cursor", field="after")
            number = int(value)
        page = await chambers.list_members(
            _caller(info),
            chamber_id,
            status=status,
            search=search,
            first=first,
            after=number,
        )
        return Connection.of(
            [
                (Membership.from_row(m), encode_cursor("member", m.number))
                for m in page.members
            ],
            has_next_page=page.has_next_page,
            has_previous_page=after is not None,
        )

    @strawberry.federation.field(
        description="The business directory: with `search`, best matches first "
        "(names above descriptions, misspellings tolerated); else by name.",
        authenticated=True,
    )
    async def businesses(
        self,
        info: DirectoryInfo,
        chamber_id: strawberry.ID | None = None,
        search: str | None = None,
        categories: list[str] | None = None,
        near: NearInput | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Business]:
        _caller(info)
        offset = _offset(after)
        page = await businesses.list_businesses(
            chamber_id=chamber_id,
            search=search,
            categories=categories,
            near=None if near is None else Near(near.lat, near.lng, near.km),
            first=first,
            offset=offset,
        )
        return _connection(
            page.businesses, Business.from_row, offset, page.has_next_page
        )

    @strawberry.federation.field(authenticated=True)
    async def business(self, info: DirectoryInfo, id: strawberry.ID) -> Business | None:
        _caller(info)
        try:
            row = await info.context.loader(load_businesses).load(str(id))
        except NotFound:
            return None
        return Business.from_row(row)

    @strawberry.federation.field(authenticated=True)
    async def categories(self, info: DirectoryInfo) -> list[Category]:
        _caller(info)
        found = await rows.Category.all().order_by("name")
        return [Category(slug=c.slug, name=c.name) for c in found]

    @strawberry.federation.field(
        description="A chamber's events starting in [from, to).", authenticated=True
    )
    async def events(
        self,
        info: DirectoryInfo,
        chamber_id: strawberry.ID,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
    ) -> list[Event]:
        _caller(info)
        found = await agenda.list_events(chamber_id, start=from_, end=to)
        return [Event.from_row(row) for row in found]

    @strawberry.federation.field(
        description="An import job of a chamber the caller administers.",
        authenticated=True,
    )
    async def import_job(self, info: DirectoryInfo, id: strawberry.ID) -> ImportJob:
        job = await _import_job(_caller(info), id)
        return ImportJob.from_row(job)

    @strawberry.federation.field(
        description="The membership card as a PDF (base64): the member's or an "
        "admin's.",
        authenticated=True,
    )
    async def membership_card(
        self, info: DirectoryInfo, membership_id: strawberry.ID
    ) -> MembershipCard:
        caller = _caller(info)
        member = await rows.Membership.get_or_none(
            id=parse_id("Membership", membership_id)
        ).prefetch_related("chamber")
        if member is None:
            raise NotFound("Membership", str(membership_id))
        if member.user_id != caller.user_id and not await administers(
            caller, member.chamber_id
        ):
            raise Forbidden("Only the member and the chamber's admins get the card.")
        if member.status is not rows.MembershipStatus.ACTIVE:
            raise BadUserInput("Only an active membership has a card.")
        token = cards.sign_card(member.chamber, member)
        pdf = await asyncio.to_thread(cards.render_card, member.chamber, member, token)
        return MembershipCard(
            membership_id=_id(member.id),
            filename=f"membership-{member.chamber.slug}-{member.number}.pdf",
            content_type="application/pdf",
            pdf_base64=base64.b64encode(pdf).decode(),
            token=token,
        )

    @strawberry.federation.field(
        description="Verify a card's token online (its chamber's key, and the "
        "membership's current status)."
    )
    async def verify_membership_card(
        self, info: DirectoryInfo, token: str
    ) -> CardVerification:
        invalid = CardVerification(
            valid=False,
            membership_id=None,
            chamber_id=None,
            number=None,
            name=None,
            valid_until=None,
            status=None,
        )
        chamber_id = cards.chamber_of_token(token)
        if chamber_id is None:
            return invalid
        try:
            chamber = await rows.Chamber.get_or_none(id=uuid.UUID(chamber_id))
        except ValueError:
            return invalid
        if chamber is None:
            return invalid
        claims = cards.verify_card(
            token, cards.public_key_from(cards.public_key_of(chamber))
        )
        if claims is None:
            return invalid
        member = await rows.Membership.get_or_none(id=claims.membership_id)
        status = None if member is None else member.status
        return CardVerification(
            valid=status is rows.MembershipStatus.ACTIVE,
            membership_id=_id(claims.membership_id),
            chamber_id=_id(claims.chamber_id),
            number=claims.number,
            name=claims.name,
            valid_until=claims.valid_until,
            status=status,
        )


async def _import_job(caller: Principal, job_id: object) -> rows.ImportJob:
    job = await rows.ImportJob.get_or_none(id=parse_id("ImportJob", job_id))
    if job is None or not await administers(caller, job.chamber_id):
        raise NotFound("ImportJob", str(job_id))
    return job


@strawberry.type
class Mutation:
    @strawberry.federation.field(
        description="Set a chamber up at once; the caller becomes its admin.",
        authenticated=True,
    )
    async def register_chamber(
        self, info: DirectoryInfo, input: RegisterChamberInput
    ) -> Chamber:
        row = await chambers.register_chamber(
            _caller(info),
            name=input.name,
            region=input.region,
            timezone=input.timezone,
            broker=info.context.broker,
        )
        return Chamber.from_row(row)

    @strawberry.federation.field(
        description="Invite people by email: each gets a token `register` takes "
        "(no mail is sent; an `InvitationIssued` event carries it too).",
        authenticated=True,
    )
    async def invite_members(
        self,
        info: DirectoryInfo,
        chamber_id: strawberry.ID,
        emails: list[str],
        role: MemberRole = rows.MemberRole.MEMBER,
    ) -> list[Invitation]:
        found = await chambers.invite_members(
            _caller(info),
            info.context.settings,
            chamber_id,
            emails,
            role=role,
            broker=info.context.broker,
        )
        return [Invitation.from_row(row) for row in found]

    @strawberry.federation.field(
        description="Ask to join a chamber (pending until approved).",
        authenticated=True,
    )
    async def join_chamber(
        self, info: DirectoryInfo, chamber_id: strawberry.ID
    ) -> Membership:
        return Membership.from_row(
            await chambers.join_chamber(_caller(info), chamber_id)
        )

    @strawberry.federation.field(authenticated=True)
    async def approve_membership(
        self, info: DirectoryInfo, membership_id: strawberry.ID
    ) -> Membership:
        row = await chambers.approve_membership(_caller(info), membership_id)
        return Membership.from_row(row)

    @strawberry.federation.field(authenticated=True)
    async def set_member_role(
        self, info: DirectoryInfo, membership_id: strawberry.ID, role: MemberRole
    ) -> Membership:
        row = await chambers.set_member_role(_caller(info), membership_id, role)
        return Membership.from_row(row)

    @strawberry.federation.field(authenticated=True)
    async def renew_membership(
        self, info: DirectoryInfo, membership_id: strawberry.ID
    ) -> Membership:
        row = await chambers.renew_membership(_caller(info), membership_id)
        return Membership.from_row(row)

    @strawberry.federation.field(authenticated=True)
    async def cancel_membership(
        self, info: DirectoryInfo, membership_id: strawberry.ID
    ) -> Membership:
        row = await chambers.cancel_membership(_caller(info), membership_id)
        return Membership.from_row(row)

    @strawberry.federation.field(authenticated=True)
    async def create_business(
        self, info: DirectoryInfo, chamber_id: strawberry.ID, input: BusinessInput
    ) -> Business:
        row = await businesses.create_business(
            _caller(info), chamber_id, input.changes()
        )
        return Business.from_row(row)

    @strawberry.federation.field(
        description="The owner or the chamber's admins.", authenticated=True
    )
    async def update_business(
        self, info: DirectoryInfo, id: strawberry.ID, input: BusinessInput
    ) -> Business:
        row = await businesses.update_business(_caller(info), id, input.changes())
        return Business.from_row(row)

    @strawberry.federation.field(
        description="The chamber's admins.", authenticated=True
    )
    async def verify_business(
        self, info: DirectoryInfo, id: strawberry.ID, verified: bool = True
    ) -> Business:
        row = await businesses.verify_business(_caller(info), id, verified)
        return Business.from_row(row)

    @strawberry.federation.field(authenticated=True)
    async def create_event(
        self, info: DirectoryInfo, chamber_id: strawberry.ID, input: CreateEventInput
    ) -> Event:
        row = await agenda.create_event(
            _caller(info),
            chamber_id,
            title=input.title,
            starts_at=input.starts_at,
            ends_at=input.ends_at,
            capacity=input.capacity,
            timezone=input.timezone,
            venue=input.venue,
            description=input.description,
        )
        return Event.from_row(row)

    @strawberry.federation.field(
        description="A place at an event (BAD_USER_INPUT, reason EVENT_FULL, when "
        "none is left); registering again returns the same registration.",
        authenticated=True,
    )
    async def register_for_event(
        self, info: DirectoryInfo, event_id: strawberry.ID
    ) -> Registration:
        row = await agenda.register_for_event(_caller(info), event_id)
        return Registration.from_row(row)

    @strawberry.federation.field(authenticated=True)
    async def cancel_registration(
        self, info: DirectoryInfo, event_id: strawberry.ID
    ) -> bool:
        return await agenda.cancel_registration(_caller(info), event_id)

    @strawberry.federation.field(
        description="Import members from a CSV or XLSX file (multipart upload): "
        "columns email and name, optionally company, phone, tier. The file is "
        "checked now; rows are imported by the job queue (importProgress).",
        authenticated=True,
    )
    async def start_member_import(
        self, info: DirectoryInfo, chamber_id: strawberry.ID, file: Upload
    ) -> ImportJob:
        caller = _caller(info)
        chamber = await require_chamber_admin(caller, chamber_id)
        job = await receive_member_file(
            info.context.settings, chamber, caller.user_id, file
        )
        queue = info.context.service(ImportQueue)
        # The job's row must be committed before a worker looks for it.
        if not after_commit(lambda: queue.enqueue(str(job.id))):
            await queue.enqueue(str(job.id))
        return ImportJob.from_row(job)


@strawberry.type
class Subscription:
    @strawberry.federation.field(
        is_subscription=True,
        description="An import's progress: where it stands now, then after every "
        "committed batch (counts only grow), ending when the job is done; after "
        "lost events the job is read again, so the final state always arrives.",
        authenticated=True,
    )
    async def import_progress(
        self, info: DirectoryInfo, job_id: strawberry.ID
    ) -> AsyncGenerator[ImportProgress, None]:
        job = await _import_job(_caller(info), job_id)
        broker = info.context.broker
        if broker is None:
            raise RuntimeError("expected a broker on the context, got None")
        async for event in progress.import_progress(job, broker=broker):
            yield ImportProgress(
                job_id=_id(event.job_id),
                status=rows.ImportStatus(event.status),
                processed=event.processed,
                created=event.created,
                updated=event.updated,
                failed=event.failed,
                errors=[ImportRowError(**error) for error in event.errors],
                error=event.error,
            )


schema = SubgraphSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[User, Chamber, Membership, Business, Event],
)
