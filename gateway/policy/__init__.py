"""Policy: who the caller is (JWT) before the gateway opens anything for them."""

from __future__ import annotations

from .errors import TokenExpired, TokenInvalid
from .tokens import (
    DEV_JWT_SECRET,
    Identity,
    bearer_token,
    jwt_secret_from_env,
    verify_token,
)

__all__ = [
    "DEV_JWT_SECRET",
    "Identity",
    "TokenExpired",
    "TokenInvalid",
    "bearer_token",
    "jwt_secret_from_env",
    "verify_token",
]
