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
    # The gateway's rule (gateway/policy/tokens.py; tests/unit/test_token_contract.py):
    # claims of the wrong type are refused, never coerced to strings.
    roles = claims.get("roles") or []
    scopes = claims.get("scopes") or []
    subject, tenant = claims["sub"], claims.get("tenant")
    if (
        not _strings(roles)
        or not _strings(scopes)
        or not isinstance(subject, str)
        or not subject
        or not isinstance(tenant, str | None)
    ):
        raise Unauthenticated("Token is invalid.")
    return TokenClaims(
        user_id=subject,
        tenant_id=tenant,
        roles=frozenset(roles),
        scopes=frozenset(scopes),
        type=expected_type,
        issued_at=int(claims["iat"]),
        expires_at=int(claims["exp"]),
    )


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)
