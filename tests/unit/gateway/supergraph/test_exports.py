"""The supergraph package's front door lists exactly its public names, sorted."""

from __future__ import annotations

import gateway.supergraph as supergraph


def test_all_is_sorted_and_complete() -> None:
    assert supergraph.__all__ == sorted(supergraph.__all__)
    public = {
        name
        for name in vars(supergraph)
        if not name.startswith("_")
        and name not in {"annotations", "errors", "load", "model", "api_schema"}
    }
    assert public == set(supergraph.__all__)
