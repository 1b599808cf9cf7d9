"""JWT verification for the gateway's long-lived connections (websocket, SSE).

HS256 with the JWT_SECRET environment variable (the same development default as
the subgraphs' kit), claims `sub`, `tenant`, `roles`, `scopes`, `type`, `exp`
as accounts issues them. A connection is checked once, when it opens.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import jwt as pyjwt

from .errors import TokenExpired, TokenInvalid

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "DEV_JWT_SECRET",
    "Identity",
    "bearer_token",
    "jwt_secret_from_env",
    "verify_token",
]

# Same development default as subgraphs/kit/settings.py (the gateway never imports it).
DEV_JWT_SECRET = "agora-dev-secret-change-me-in-production-0123456789"
_ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class Identity:
    """A verified caller; `authorization` is the header value forwarded upstream."""

    user_id: str
    tenant_id: str | None
    roles: frozenset[str]
    scopes: frozenset[str]
    expires_at: int
    authorization: str

    @property
    def scope_key(self) -> tuple[str, str | None, frozenset[str], frozenset[str]]:
        """What makes two callers see the same events (dedup key part)."""
        return (self.user_id, self.tenant_id, self.roles, self.scopes)


def jwt_secret_from_env(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return env.get("JWT_SECRET") or DEV_JWT_SECRET


def bearer_token(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` value, None for other schemes."""
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def verify_token(token: str, secret: str, *, now: float | None = None) -> Identity:
    """Verify an access token's signature and expiry; return who it names.

    Raises TokenExpired for a past `exp`, TokenInvalid for anything else wrong.
    """
    try:
        claims = pyjwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            options={"require": ["sub", "exp"], "verify_exp": False},
        )
    except pyjwt.PyJWTError as exc:
        raise TokenInvalid(type(exc).__name__) from None
    expires_at = claims.get("exp")
    if not isinstance(expires_at, int | float):
        raise TokenInvalid("exp is not a number")
    if expires_at <= (time.time() if now is None else now):
        raise TokenExpired
    if claims.get("type", "access") != "access":
        raise TokenInvalid("not an access token")
    roles = claims.get("roles") or []
    scopes = claims.get("scopes") or []
    if not isinstance(roles, list) or not isinstance(scopes, list):
        raise TokenInvalid("roles and scopes must be lists")
    tenant = claims.get("tenant")
    return Identity(
        user_id=str(claims["sub"]),
        tenant_id=None if tenant is None else str(tenant),
        roles=frozenset(str(role) for role in roles),
        scopes=frozenset(str(scope) for scope in scopes),
        expires_at=int(expires_at),
        authorization=f"Bearer {token}",
    )
