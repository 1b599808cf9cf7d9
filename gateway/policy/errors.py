"""Errors of the policy layer, each with the `extensions.code` a client sees.

AgoraError
└── PolicyRefused          (gateway.errors)
    ├── TokenInvalid           malformed, badly signed or not an access token
    └── TokenExpired           a well-signed token whose `exp` has passed
"""

from __future__ import annotations

from ..errors import PolicyRefused

__all__ = ["TokenExpired", "TokenInvalid"]


class TokenInvalid(PolicyRefused):
    """Raised when a token cannot be verified (signature, shape, claims, type)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Token is invalid: {reason}.", "UNAUTHENTICATED")
        self.reason = reason


class TokenExpired(PolicyRefused):
    """Raised when a token's `exp` claim is in the past."""

    def __init__(self) -> None:
        super().__init__("Token has expired.", "UNAUTHENTICATED")
