"""Audit suite `mysterious-external`: a Federation 2 `extend type` whose key field
is @external; the extending subgraph still returns that key itself. The audit's
`product` subgraph is not in our copy and is reconstructed from the plans."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.audit.conftest import Case, link, run_case
from tests.conformance.harness import Subgraph

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

SDLS = {
    "price": link("2.3", "@key", "@external")
    + """
extend type Product @key(fields: "id") { id: ID! @external price: Float }
type Query { cheapestProduct: Product }
""",
    "product": link("2.3", "@key")
    + """
type Query { products: [Product] }
type Product @key(fields: "id") { id: ID! name: String }
""",
}

PRODUCTS = [
    {"__typename": "Product", "id": "1", "name": "name-1", "price": 100.0},
    {"__typename": "Product", "id": "2", "name": "name-2", "price": 200.0},
]


def subgraphs() -> dict[str, Subgraph]:
    prices = [{k: p[k] for k in ("__typename", "id", "price")} for p in PRODUCTS]
    names = [{k: p[k] for k in ("__typename", "id", "name")} for p in PRODUCTS]
    return {
        "price": Subgraph(
            SDLS["price"],
            query={"cheapestProduct": min(prices, key=lambda p: p["price"])},
            entities={"Product": prices},
        ),
        "product": Subgraph(
            SDLS["product"], query={"products": names}, entities={"Product": names}
        ),
    }


CASES: list[Case] = [
    (
        "the extending subgraph returns its external key for the jump",
        "{ cheapestProduct { id price name } }",
        {"data": {"cheapestProduct": {"id": "1", "price": 100.0, "name": "name-1"}}},
    ),
    (
        "the owner's root, the extension's field",
        "{ products { name price id } }",
        {
            "data": {
                "products": [
                    {"name": "name-1", "price": 100.0, "id": "1"},
                    {"name": "name-2", "price": 200.0, "id": "2"},
                ]
            }
        },
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_mysterious_external(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
