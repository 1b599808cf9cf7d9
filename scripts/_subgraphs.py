"""The subgraphs that exist, as supergraph.yaml lists them, and their SDL.

Shared by scripts/compose (writes schema/) and scripts/embedded.py (composes at
start-up), so both see the same subgraphs in the same order. Scripts may import
subgraphs/; the gateway may not.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from gateway.compose import SubgraphDefinition, load_supergraph_config

ROOT = Path(__file__).resolve().parents[1]
SDL_QUERY = "{ _service { sdl } }"


def existing_subgraphs(
    config: Path = ROOT / "supergraph.yaml",
) -> list[tuple[Any, Any]]:
    """(SubgraphConfig, SPEC) for each configured subgraph whose app.py exists."""
    found = []
    for entry in load_supergraph_config(config):
        if not (ROOT / "subgraphs" / entry.name / "app.py").exists():
            continue
        module = importlib.import_module(f"subgraphs.{entry.name}.app")
        found.append((entry, module.SPEC))
    return found


def subgraph_definition(entry: Any, spec: Any) -> SubgraphDefinition:
    """The subgraph's SDL exactly as `_service { sdl }` returns it, with its URL."""
    result = spec.schema.execute_sync(SDL_QUERY)
    if result.errors:
        raise SystemExit(f"subgraph {spec.name}: _service failed: {result.errors}")
    sdl = result.data["_service"]["sdl"].rstrip("\n") + "\n"
    return SubgraphDefinition(entry.name, entry.routing_url, sdl)
