"""Composition: subgraph SDLs in, a supergraph SDL (link v1.0 + join) or errors out.

`compose` runs the reference composer's stages, one module each: read each subgraph
(subgraph.py with _links.py and _applications.py), validate and upgrade it
(validate_subgraph.py), merge (merge_subgraphs.py with executable_directives.py,
_override.py and _directives.py), check
the merged graph (validate_supergraph.py, satisfiability.py), print it
(print_supergraph.py). cli.py is `python -m gateway compose`; config.py reads rover
supergraph configs.
"""

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
