"""Errors raised while reading a supergraph SDL.

AgoraError                  (gateway.errors)
└── SupergraphError         the document is not a usable supergraph
"""

from __future__ import annotations

from ..errors import AgoraError

__all__ = ["SupergraphError"]


class SupergraphError(AgoraError):
    """Raised by `load_supergraph` when the SDL is not a supergraph it can serve."""

    code = "INVALID_SUPERGRAPH"

    def __init__(self, reason: str) -> None:
        super().__init__(f"Invalid supergraph: {reason}")
        self.reason = reason
