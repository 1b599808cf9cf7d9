"""Audit suite `requires-requires`: a @requires field whose required field is itself
a @requires field of another subgraph (which requires an @inaccessible field)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.audit.conftest import Case, link, run_case
from tests.conformance.harness import Subgraph

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

SDLS = {
    "a": link("2.3", "@key", "@inaccessible")
    + """
type Product @key(fields: "id") { id: ID! price: Float! @inaccessible }
""",
    "b": link("2.3", "@key")
    + """
type Query { product: Product }
type Product @key(fields: "id") { id: ID! hasDiscount: Boolean! }
""",
    "c": link("2.3", "@key", "@external", "@requires")
    + """
type Product @key(fields: "id") {
  id: ID!
  price: Float! @external
  isExpensive: Boolean! @requires(fields: "price")
  hasDiscount: Boolean! @external
  isExpensiveWithDiscount: Boolean! @requires(fields: "hasDiscount")
}
""",
    "d": link("2.3", "@key", "@external", "@requires")
    + """
type Product @key(fields: "id") {
  id: ID!
  isExpensive: Boolean! @external
  canAfford: Boolean! @requires(fields: "isExpensive")
  isExpensiveWithDiscount: Boolean! @external
  canAffordWithDiscount: Boolean! @requires(fields: "isExpensiveWithDiscount")
}
""",
}

PRODUCT = {"id": "p1", "price": 699.99, "hasDiscount": True}


def subgraphs() -> dict[str, Subgraph]:
    # Computed fields read only what the representation carries.
    return {
        "a": Subgraph(
            SDLS["a"], entities={"Product": [{**PRODUCT, "hasDiscount": None}]}
        ),
        "b": Subgraph(
            SDLS["b"],
            query={"product": {"id": "p1", "hasDiscount": True}},
            entities={"Product": [{"id": "p1", "hasDiscount": True}]},
        ),
        "c": Subgraph(
            SDLS["c"],
            entities={
                "Product": lambda rep: {
                    "isExpensive": lambda p: p["price"] > 500,
                    "isExpensiveWithDiscount": lambda p: not p["hasDiscount"],
                }
            },
        ),
        "d": Subgraph(
            SDLS["d"],
            entities={
                "Product": lambda rep: {
                    "canAfford": lambda p: not p["isExpensive"],
                    "canAffordWithDiscount": lambda p: not p["isExpensiveWithDiscount"],
                }
            },
        ),
    }


CASES: list[Case] = [
    (
        "a requirement that is itself required from a third subgraph",
        "{ product { canAfford } }",
        {"data": {"product": {"canAfford": False}}},
    ),
    (
        "a requires field alone",
        "{ product { isExpensive } }",
        {"data": {"product": {"isExpensive": True}}},
    ),
    (
        "the requirement asked beside the field requiring it",
        "{ product { isExpensive canAfford } }",
        {"data": {"product": {"isExpensive": True, "canAfford": False}}},
    ),
    (
        "a chain whose first link is in the root subgraph",
        "{ product { canAffordWithDiscount } }",
        {"data": {"product": {"canAffordWithDiscount": True}}},
    ),
    (
        "two chains at once",
        "{ product { canAfford canAffordWithDiscount } }",
        {"data": {"product": {"canAfford": False, "canAffordWithDiscount": True}}},
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_requires_requires(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
