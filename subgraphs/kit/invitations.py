"""Invitation tokens: how a new user joins a tenant (issue 12, finding 1).

The directory subgraph issues one per invited email (`inviteMembers`); accounts'
`register` verifies it and puts the new user in the invitation's tenant with its
role. It is an HS256 JWT signed with JWT_SECRET whose `type` is "invitation", so
neither the kit (`decode_token`) nor the gateway accepts it as an access token.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import jwt

from subgraphs.kit.emails import normalise_email
from subgraphs.kit.errors import BadUserInput

if TYPE_CHECKING:
    from subgraphs.kit.settings import Settings

__all__ = [
    "INVITABLE_ROLES",
    "InvalidInvitation",
    "InvitationClaims",
    "issue_invitation_token",
    "verify_invitation_token",
]

INVITATION_TYPE = "invitation"
# Roles an invitation may grant: a tenant's own roles, never platform_admin.
INVITABLE_ROLES = frozenset(
    {"member", "chamber_admin", "support_agent", "tenant_admin"}
)


class InvalidInvitation(BadUserInput):
    """The invitation token is forged, expired, malformed or not an invitation.

    One message for every case, so an answer never tells which tenant exists.
    """

    def __init__(self) -> None:
        super().__init__("The invitation is not valid.", field="invitationToken")


@dataclass(frozen=True, slots=True)
class InvitationClaims:
    """What a verified invitation grants: `email` (normalised) may join `tenant_id`
    as `role` until `expires_at` (Unix seconds)."""

    invitation_id: str
    tenant_id: str
    email: str
    role: str
    expires_at: int


def issue_invitation_token(
    settings: Settings,
    *,
    tenant_id: str,
    email: str,
    role: str,
    ttl: float,
    invitation_id: str,
    now: float | None = None,
) -> str:
    """Sign an invitation for `email` (normalised here) to join `tenant_id` as `role`.

    Raises BadUserInput for an email normalise_email refuses, and ValueError for a
    role outside INVITABLE_ROLES, an empty tenant or id, or a ttl that is not > 0.
    """
    if role not in INVITABLE_ROLES:
        raise ValueError(f"expected one of {sorted(INVITABLE_ROLES)}, got {role!r}")
    if not tenant_id or not invitation_id:
        raise ValueError("expected a tenant_id and an invitation_id")
    if not ttl > 0:
        raise ValueError(f"expected a positive ttl, got {ttl!r}")
    issued = int(time.time() if now is None else now)
    claims = {
        "type": INVITATION_TYPE,
        "jti": invitation_id,
        "tenant": tenant_id,
        "email": normalise_email(email),
        "role": role,
        "iat": issued,
        "exp": issued + int(ttl),
        "iss": settings.jwt_issuer,
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


def verify_invitation_token(
    settings: Settings, token: str, *, now: float | None = None
) -> InvitationClaims:
    """The claims of a valid invitation; InvalidInvitation (BAD_USER_INPUT) for a
    token that is forged, expired, of another type, or grants a role it may not."""
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=["HS256"],
            issuer=settings.jwt_issuer,
            options={
                "require": ["type", "jti", "tenant", "email", "role", "exp", "iss"],
                "verify_exp": False,
            },
        )
    except jwt.PyJWTError:
        raise InvalidInvitation() from None
    expires_at = claims["exp"]
    current = time.time() if now is None else now
    if (
        claims["type"] != INVITATION_TYPE
        or claims["role"] not in INVITABLE_ROLES
        or not isinstance(expires_at, int)
        or expires_at <= current
        or not all(
            isinstance(claims[name], str) and claims[name]
            for name in ("jti", "tenant", "email")
        )
    ):
        raise InvalidInvitation()
    return InvitationClaims(
        invitation_id=claims["jti"],
        tenant_id=claims["tenant"],
        email=claims["email"],
        role=claims["role"],
        expires_at=expires_at,
    )
