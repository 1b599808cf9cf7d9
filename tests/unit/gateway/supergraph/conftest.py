"""Supergraph fixtures for the supergraph model tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.supergraph import Supergraph, load_supergraph

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "supergraphs"


@pytest.fixture(scope="session")
def shop() -> Supergraph:
    return load_supergraph((FIXTURES / "shop.graphql").read_text())


@pytest.fixture(scope="session")
def media() -> Supergraph:
    return load_supergraph((FIXTURES / "media.graphql").read_text())
