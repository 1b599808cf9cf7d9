"""Composition: subgraph SDLs in, a supergraph SDL (link v1.0 + join) or errors out."""

from __future__ import annotations

from .compose import CompositionResult, compose
from .errors import CompositionError, CompositionFailed, CompositionHint
from .subgraph import SubgraphDefinition

__all__ = [
    "CompositionError",
    "CompositionFailed",
    "CompositionHint",
    "CompositionResult",
    "SubgraphDefinition",
    "compose",
]
