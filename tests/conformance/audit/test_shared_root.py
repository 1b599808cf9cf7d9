"""Audit suite `shared-root`: one @shareable root field in three subgraphs, each
resolving different fields of a type without a key; the gateway fetches the root
field from each and merges the answers (lists by position)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.audit.conftest import Case, link, run_case
from tests.conformance.harness import Subgraph

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

ROOT = """
type Query { product: Product! @shareable products: [Product!]! @shareable }
"""
SDLS = {
    "category": link("2.3", "@key", "@shareable")
    + ROOT
    + """
type Product { id: ID! @shareable category: Category! }
type Category { id: ID! name: String! }
""",
    "name": link("2.3", "@key", "@shareable")
    + ROOT
    + """
type Product { id: ID! @shareable name: Name! }
type Name { id: ID! brand: String! model: String! }
""",
    "price": link("2.3", "@key", "@shareable")
    + ROOT
    + """
type Product { id: ID! @shareable price: Price! }
type Price { id: ID! amount: Int! currency: String! }
""",
}

FIELDS = {
    "category": {"id": "1", "name": "Category 1"},
    "name": {"id": "1", "brand": "Brand 1", "model": "Model 1"},
    "price": {"id": "1", "amount": 1000, "currency": "USD"},
}


def subgraphs() -> dict[str, Subgraph]:
    def serving(field: str) -> Subgraph:
        product = {"id": "1", field: FIELDS[field]}
        return Subgraph(SDLS[field], query={"product": product, "products": [product]})

    return {field: serving(field) for field in SDLS}


PRODUCT = {
    "id": "1",
    "name": {"id": "1", "brand": "Brand 1", "model": "Model 1"},
    "category": {"id": "1", "name": "Category 1"},
    "price": {"id": "1", "amount": 1000, "currency": "USD"},
}
SELECTION = """{ id name { id brand model } category { id name }
  price { id amount currency } }"""

CASES: list[Case] = [
    (
        "a shared root object is assembled from three subgraphs",
        "{ product " + SELECTION + " }",
        {"data": {"product": PRODUCT}},
    ),
    (
        "a shared root list is assembled from three subgraphs",
        "{ products " + SELECTION + " }",
        {"data": {"products": [PRODUCT]}},
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_shared_root(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
