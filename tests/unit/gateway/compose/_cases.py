"""Fixture cases of tests/fixtures/composition: subgraphs in, the reference's output."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from gateway.compose import SubgraphDefinition

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "composition"


@dataclass(frozen=True)
class CompositionCase:
    """One fixture: its subgraphs and what @apollo/composition made of them."""

    name: str
    subgraphs: tuple[SubgraphDefinition, ...]
    supergraph_sdl: str | None
    errors: tuple[tuple[str, str], ...]
    hints: tuple[tuple[str, str], ...]


def load_case(directory: Path) -> CompositionCase:
    manifest = json.loads((directory / "manifest.json").read_text())
    subgraphs = tuple(
        SubgraphDefinition(s["name"], s["url"], (directory / s["file"]).read_text())
        for s in manifest["subgraphs"]
    )
    supergraph = directory / "supergraph.graphql"
    errors = directory / "errors.json"
    return CompositionCase(
        name=directory.name,
        subgraphs=subgraphs,
        supergraph_sdl=supergraph.read_text() if supergraph.exists() else None,
        errors=tuple(
            (e["code"], e["message"])
            for e in (json.loads(errors.read_text()) if errors.exists() else [])
        ),
        hints=tuple(
            (h["code"], h["message"])
            for h in json.loads((directory / "hints.json").read_text())
        ),
    )


def all_cases() -> list[CompositionCase]:
    return [
        load_case(d)
        for d in sorted(FIXTURES.iterdir())
        if (d / "manifest.json").exists()
    ]
