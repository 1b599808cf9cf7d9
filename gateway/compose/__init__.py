"""Composition: subgraph SDLs in, a supergraph SDL (link v1.0 + join) or errors out."""

from __future__ import annotations

from .compose import CompositionResult, compose
from .config import SubgraphConfig, fetch_subgraph_sdl, load_supergraph_config
from .errors import (
    CompositionError,
    CompositionFailed,
    CompositionHint,
    SupergraphConfigError,
)
from .subgraph import SubgraphDefinition

__all__ = [
    "CompositionError",
    "CompositionFailed",
    "CompositionHint",
    "CompositionResult",
    "SubgraphConfig",
    "SubgraphDefinition",
    "SupergraphConfigError",
    "compose",
    "fetch_subgraph_sdl",
    "load_supergraph_config",
]
