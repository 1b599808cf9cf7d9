"""Synthetic subgraphs give an entity the same values whichever subgraph and
whichever key reaches it, and a @requires field depends on what it was sent."""

from __future__ import annotations

from typing import Any

import httpx

from .synthetic import SyntheticGraph

LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", '
    'import: ["@key", "@shareable", "@external", "@requires"])\n'
)
SDLS = {
    "a": LINK
    + """
type Query { items: [Product] }
type Product @key(fields: "id") { id: ID! name: String @shareable weight: Int }
""",
    "b": LINK
    + """
type Product @key(fields: "id") {
  id: ID!
  name: String @shareable
  weight: Int @external
  shipping: Int @requires(fields: "weight")
}
""",
}


async def _query(graph: SyntheticGraph, subgraph: str, body: dict[str, Any]) -> Any:
    transport = httpx.ASGITransport(app=graph.app(subgraph))
    async with httpx.AsyncClient(transport=transport, base_url="http://s") as client:
        return (await client.post("/", json=body)).json()


ENTITIES = (
    "query ($r: [_Any!]!) { _entities(representations: $r) "
    "{ ... on Product { id name shipping } } }"
)


async def test_an_entity_has_the_same_values_in_every_subgraph() -> None:
    graph = SyntheticGraph(SDLS)
    root = await _query(graph, "a", {"query": "{ items { id name weight } }"})
    products = root["data"]["items"]
    assert products, "the draw made no products: pick another field name"
    first = products[0]
    representation = {"__typename": "Product", "id": first["id"], "weight": 1}
    entities = await _query(
        graph, "b", {"query": ENTITIES, "variables": {"r": [representation]}}
    )
    found = entities["data"]["_entities"][0]
    assert (found["id"], found["name"]) == (first["id"], first["name"])


async def test_a_requires_field_depends_on_the_values_it_was_sent() -> None:
    graph = SyntheticGraph(SDLS)
    answers = []
    for weight in (1, 2):
        representation = {"__typename": "Product", "id": "k640", "weight": weight}
        entities = await _query(
            graph, "b", {"query": ENTITIES, "variables": {"r": [representation]}}
        )
        answers.append(entities["data"]["_entities"][0]["shipping"])
    assert answers[0] != answers[1]
