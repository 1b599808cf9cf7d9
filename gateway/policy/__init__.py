"""Policy: who the caller is (JWT) before the gateway opens anything for them."""

from __future__ import annotations

from .authorization import (
    UNAUTHORIZED_FIELD_OR_TYPE,
    AuthorizationResult,
    AuthorizationRules,
    Grants,
    PolicyRule,
    PolicyRules,
    add_authorization_errors,
    authorization_rules,
    authorize_operation,
    granted_policies,
    grants_of,
    unauthorized_response,
)
from .errors import TokenExpired, TokenInvalid
from .identity import IDENTITY_HEADERS, sign_identity
from .tokens import (
    DEV_JWT_SECRET,
    Identity,
    JwtConfig,
    TokenVerifier,
    bearer_token,
    jwt_secret_from_env,
    verify_token,
)

__all__ = [
    "DEV_JWT_SECRET",
    "IDENTITY_HEADERS",
    "UNAUTHORIZED_FIELD_OR_TYPE",
    "AuthorizationResult",
    "AuthorizationRules",
    "Grants",
    "Identity",
    "JwtConfig",
    "PolicyRule",
    "PolicyRules",
    "TokenExpired",
    "TokenInvalid",
    "TokenVerifier",
    "add_authorization_errors",
    "authorization_rules",
    "authorize_operation",
    "bearer_token",
    "granted_policies",
    "grants_of",
    "jwt_secret_from_env",
    "sign_identity",
    "unauthorized_response",
    "verify_token",
]
