"""JWT access and refresh tokens: issued by accounts, verified by every subgraph."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import jwt

from subgraphs.kit.errors import Unauthenticated

if TYPE_CHECKING:
    from collections.abc import Iterable

    from subgraphs.kit.settings import Settings

TokenType = Literal["access", "refresh"]


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """The verified claims of a token (`sub`, `tenant`, `roles`, `scopes`, `type`)."""

    user_id: str
    tenant_id: str | None
    roles: frozenset[str]
    scopes: frozenset[str]
    type: TokenType
    issued_at: int
    expires_at: int


def issue_token(
    settings: Settings,
    *,
    user_id: str,
    tenant_id: str | None,
    roles: Iterable[str],
    scopes: Iterable[str],
    type: TokenType,
    now: float | None = None,
) -> str:
    """Sign a token of `type` for a user; its lifetime comes from the settings."""
    issued = int(time.time() if now is None else now)
    ttl = settings.access_token_ttl if type == "access" else settings.refresh_token_ttl
    claims = {
        "sub": user_id,
        "tenant": tenant_id,
        "roles": sorted(roles),
        "scopes": sorted(scopes),
        "type": type,
        "iat": issued,
        "exp": issued + int(ttl),
        "iss": settings.jwt_issuer,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm=settings.jwt_algorithm)


def decode_token(
    settings: Settings, token: str, *, expected_type: TokenType = "access"
) -> TokenClaims:
    """Verify signature, issuer, expiry and type; raise Unauthenticated otherwise."""
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[settings.jwt_algorithm],
            issuer=settings.jwt_issuer,
            options={"require": ["sub", "exp", "iat", "iss", "type"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("Token has expired.") from None
    except jwt.PyJWTError:
        raise Unauthenticated("Token is invalid.") from None
    if claims.get("type") != expected_type:
        raise Unauthenticated(f"Expected an {expected_type} token.")
    roles = claims.get("roles") or []
    scopes = claims.get("scopes") or []
    if not isinstance(roles, list) or not isinstance(scopes, list):
        raise Unauthenticated("Token is invalid.")
    tenant = claims.get("tenant")
    return TokenClaims(
        user_id=str(claims["sub"]),
        tenant_id=None if tenant is None else str(tenant),
        roles=frozenset(str(r) for r in roles),
        scopes=frozenset(str(s) for s in scopes),
        type=expected_type,
        issued_at=int(claims["iat"]),
        expires_at=int(claims["exp"]),
    )
