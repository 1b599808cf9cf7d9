"""Tortoise models of the directory subgraph (app label "directory").

A chamber is a tenant: `Chamber.tenant_id` is the tenant accounts knows it by.
Every other row hangs off a chamber. Users are accounts' rows: the directory keeps
their ids (`user_id`, `owner_id`), never their profiles.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from uuid import UUID

__all__ = [
    "Business",
    "BusinessCategory",
    "Category",
    "Chamber",
    "Event",
    "ImportFormat",
    "ImportJob",
    "ImportRowError",
    "ImportStatus",
    "Invitation",
    "MemberRole",
    "Membership",
    "MembershipStatus",
    "Registration",
]


class MembershipStatus(StrEnum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    LAPSED = "LAPSED"
    CANCELLED = "CANCELLED"


class MemberRole(StrEnum):
    """A member's role in its chamber (the values are the platform's role names)."""

    MEMBER = "member"
    CHAMBER_ADMIN = "chamber_admin"


class ImportFormat(StrEnum):
    CSV = "CSV"
    XLSX = "XLSX"


class ImportStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class Chamber(Model):
    id = fields.UUIDField(primary_key=True)
    tenant_id = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=200)
    slug = fields.CharField(max_length=80, unique=True)
    region = fields.CharField(max_length=120, default="")
    timezone = fields.CharField(max_length=64, default="UTC")
    settings: dict[str, object] = fields.JSONField(default=dict)
    # Ed25519 seed (32 bytes, hex) that signs the chamber's membership cards.
    card_key = fields.CharField(max_length=64)
    next_member_number = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "directory_chamber"


class Membership(Model):
    id = fields.UUIDField(primary_key=True)
    chamber: fields.ForeignKeyRelation[Chamber] = fields.ForeignKeyField(
        "directory.Chamber", related_name="memberships", on_delete=fields.CASCADE
    )
    # None until the member has an account (imported or invited, not yet registered).
    user_id = fields.CharField(max_length=64, null=True, db_index=True)
    email = fields.CharField(max_length=320, null=True)
    display_name = fields.CharField(max_length=200, default="")
    company = fields.CharField(max_length=200, default="")
    phone = fields.CharField(max_length=40, default="")
    tier = fields.CharField(max_length=40, default="standard")
    role = fields.CharEnumField(MemberRole, max_length=20, default=MemberRole.MEMBER)
    status = fields.CharEnumField(
        MembershipStatus, max_length=12, default=MembershipStatus.PENDING
    )
    number = fields.IntField()
    joined_at = fields.DatetimeField(null=True)
    renews_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    if TYPE_CHECKING:
        chamber_id: UUID

    class Meta:
        table = "directory_membership"
        unique_together = (("chamber", "email"), ("chamber", "number"))


class Invitation(Model):
    id = fields.UUIDField(primary_key=True)
    chamber: fields.ForeignKeyRelation[Chamber] = fields.ForeignKeyField(
        "directory.Chamber", related_name="invitations", on_delete=fields.CASCADE
    )
    membership: fields.ForeignKeyNullableRelation[Membership] = fields.ForeignKeyField(
        "directory.Membership",
        related_name="invitations",
        null=True,
        on_delete=fields.SET_NULL,
    )
    email = fields.CharField(max_length=320)
    role = fields.CharEnumField(MemberRole, max_length=20, default=MemberRole.MEMBER)
    token = fields.TextField()
    invited_by = fields.CharField(max_length=64)
    expires_at = fields.DatetimeField()
    accepted_at = fields.DatetimeField(null=True)
    accepted_by = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    if TYPE_CHECKING:
        chamber_id: UUID
        membership_id: UUID | None

    class Meta:
        table = "directory_invitation"


class Category(Model):
    id = fields.UUIDField(primary_key=True)
    slug = fields.CharField(max_length=80, unique=True)
    name = fields.CharField(max_length=120)

    class Meta:
        table = "directory_category"


class Business(Model):
    id = fields.UUIDField(primary_key=True)
    chamber: fields.ForeignKeyRelation[Chamber] = fields.ForeignKeyField(
        "directory.Chamber", related_name="businesses", on_delete=fields.CASCADE
    )
    owner_id = fields.CharField(max_length=64, null=True, db_index=True)
    name = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    address = fields.CharField(max_length=300, default="")
    latitude = fields.FloatField(null=True)
    longitude = fields.FloatField(null=True)
    phone = fields.CharField(max_length=40, default="")
    website = fields.CharField(max_length=300, default="")
    opening_hours: dict[str, object] = fields.JSONField(default=dict)
    verified = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    if TYPE_CHECKING:
        chamber_id: UUID

    class Meta:
        table = "directory_business"


class BusinessCategory(Model):
    id = fields.IntField(primary_key=True)
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "directory.Business", related_name="category_links", on_delete=fields.CASCADE
    )
    category: fields.ForeignKeyRelation[Category] = fields.ForeignKeyField(
        "directory.Category", related_name="business_links", on_delete=fields.CASCADE
    )

    if TYPE_CHECKING:
        business_id: UUID
        category_id: UUID

    class Meta:
        table = "directory_business_category"
        unique_together = (("business", "category"),)


class Event(Model):
    id = fields.UUIDField(primary_key=True)
    chamber: fields.ForeignKeyRelation[Chamber] = fields.ForeignKeyField(
        "directory.Chamber", related_name="events", on_delete=fields.CASCADE
    )
    title = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    starts_at = fields.DatetimeField(db_index=True)
    ends_at = fields.DatetimeField()
    timezone = fields.CharField(max_length=64, default="UTC")
    venue = fields.CharField(max_length=300, default="")
    capacity = fields.IntField()
    # Kept in step with the registrations in the same transaction: the capacity
    # check is one conditional UPDATE, safe under any concurrency.
    registered = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    if TYPE_CHECKING:
        chamber_id: UUID

    class Meta:
        table = "directory_event"


class Registration(Model):
    id = fields.UUIDField(primary_key=True)
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "directory.Event", related_name="registrations", on_delete=fields.CASCADE
    )
    user_id = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    if TYPE_CHECKING:
        event_id: UUID

    class Meta:
        table = "directory_registration"
        unique_together = (("event", "user_id"),)


class ImportJob(Model):
    id = fields.UUIDField(primary_key=True)
    chamber: fields.ForeignKeyRelation[Chamber] = fields.ForeignKeyField(
        "directory.Chamber", related_name="imports", on_delete=fields.CASCADE
    )
    created_by = fields.CharField(max_length=64)
    filename = fields.CharField(max_length=255)
    format = fields.CharEnumField(ImportFormat, max_length=8)
    # Where the uploaded file is kept until the job is done (AGORA_DATA_DIR/imports).
    path = fields.CharField(max_length=500)
    status = fields.CharEnumField(
        ImportStatus, max_length=12, default=ImportStatus.QUEUED
    )
    # The file row (the header is 1) of the last committed batch's end: a job
    # that restarts resumes after it.
    position = fields.IntField(default=1)
    processed = fields.IntField(default=0)
    created = fields.IntField(default=0)
    updated = fields.IntField(default=0)
    failed = fields.IntField(default=0)
    error: str | None = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    if TYPE_CHECKING:
        chamber_id: UUID

    class Meta:
        table = "directory_import_job"


class ImportRowError(Model):
    id = fields.IntField(primary_key=True)
    job: fields.ForeignKeyRelation[ImportJob] = fields.ForeignKeyField(
        "directory.ImportJob", related_name="row_errors", on_delete=fields.CASCADE
    )
    row = fields.IntField()
    email = fields.CharField(max_length=320, default="")
    message = fields.CharField(max_length=300)

    if TYPE_CHECKING:
        job_id: UUID

    class Meta:
        table = "directory_import_row_error"
        unique_together = (("job", "row"),)
