"""Audit suite `node`: a Node interface declared by three subgraphs, the root only in
one and the fields of the implementation only in another (with a third that
knows the types but nothing more)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.audit.conftest import Case, link, run_case
from tests.conformance.harness import Subgraph

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

NODE = """
interface Node { id: ID! }
type Product implements Node @key(fields: "id") { id: ID! }
type Category implements Node @key(fields: "id") { id: ID! }
"""
SDLS = {
    "node": link("2.3", "@key")
    + NODE
    + "type Query { productNode: Node categoryNode: Node }\n",
    "node-two": link("2.3", "@key") + NODE,
    "types": link("2.3", "@key", "@shareable")
    + """
interface Node { id: ID! }
type Product implements Node @key(fields: "id") @shareable {
  id: ID! name: String! price: Float!
}
type Category implements Node @key(fields: "id") { id: ID! name: String! }
""",
}

PRODUCTS = [
    {"id": "p-1", "name": "Product 1", "price": 10.0},
    {"id": "p-2", "name": "Product 2", "price": 20.0},
]
CATEGORIES = [{"id": "pc-1", "name": "Category 1"}, {"id": "c-2", "name": "Category 2"}]


def subgraphs() -> dict[str, Subgraph]:
    ids = {
        "Product": [{"id": p["id"]} for p in PRODUCTS],
        "Category": [{"id": c["id"]} for c in CATEGORIES],
    }
    return {
        "node": Subgraph(
            SDLS["node"],
            query={
                "productNode": {"__typename": "Product", "id": "p-1"},
                "categoryNode": {"__typename": "Category", "id": "pc-1"},
            },
            entities=ids,
        ),
        "node-two": Subgraph(SDLS["node-two"], entities=ids),
        "types": Subgraph(
            SDLS["types"], entities={"Product": PRODUCTS, "Category": CATEGORIES}
        ),
    }


CASES: list[Case] = [
    (
        "fragments on each implementation of the interface",
        """{ categoryNode { id ... on Category { name } ... on Product { price } }
          productNode { id ... on Category { name } ... on Product { price } } }""",
        {
            "data": {
                "categoryNode": {"id": "pc-1", "name": "Category 1"},
                "productNode": {"id": "p-1", "price": 10.0},
            }
        },
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_node(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
