"""Accounts tables: tenants and users (roles and scopes stored on the user)."""

from __future__ import annotations

from uuid import UUID, uuid4

from tortoise import fields
from tortoise.models import Model


class Tenant(Model):
    """A customer organisation."""

    # A chamber of commerce or a farm co-operative; users belong to one.

    id = fields.UUIDField(primary_key=True, default=uuid4)
    name = fields.CharField(max_length=200, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "accounts_tenant"
        app = "accounts"


class User(Model):
    """A person who logs in."""

    # `email` is unique across the platform and stored lowercase.

    id = fields.UUIDField(primary_key=True, default=uuid4)
    email = fields.CharField(max_length=320, unique=True)
    display_name = fields.CharField(max_length=200)
    password_hash = fields.CharField(max_length=255)
    tenant: fields.ForeignKeyNullableRelation[Tenant] = fields.ForeignKeyField(
        "accounts.Tenant",
        related_name="users",
        null=True,
        on_delete=fields.RESTRICT,
    )
    roles: fields.JSONField[list[str]] = fields.JSONField(default=list)
    scopes: fields.JSONField[list[str]] = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)

    tenant_id: UUID | None

    class Meta:
        table = "accounts_user"
        app = "accounts"
