"""Accounts tables: tenants, users (roles and scopes stored on the user) and the
refresh tokens issued to them (rotation and revocation, issue 12)."""

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
    # An inactive user keeps their rows but logs in nowhere: subgraphs refuse their
    # tokens (subgraphs.kit.users) and refresh tokens stop working.
    active = fields.BooleanField(default=True, db_default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    tenant_id: UUID | None

    class Meta:
        table = "accounts_user"
        app = "accounts"


class RefreshToken(Model):
    """One issued refresh token (its `jti`), in the family of its first login.

    Used once: refreshing marks it used and issues the next of its family. A used
    token presented again is a replay (a stolen copy, or the thief's use of the
    victim's), so the whole family is revoked; logout revokes a family,
    logoutEverywhere every family of the user.
    """

    id = fields.CharField(primary_key=True, max_length=32)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "accounts.User", related_name="refresh_tokens", on_delete=fields.CASCADE
    )
    family = fields.CharField(max_length=32, db_index=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    user_id: UUID

    class Meta:
        table = "accounts_refresh_token"
        app = "accounts"
