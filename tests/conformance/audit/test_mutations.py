"""Audit suite `mutations`: mutation root fields of three subgraphs run strictly in
the order asked (GraphQL spec, "Normal and Serial Execution"), and a mutation's
result is completed through entity jumps with @requires like a query's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.audit.conftest import Case, link, run_case
from tests.conformance.harness import Subgraph

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

SDLS = {
    "a": link("2.3", "@key")
    + """
type Mutation {
  addProduct(input: AddProductInput!): Product!
  multiply(by: Int!, requestId: String!): Int!
}
type Query { product(id: ID!): Product! products: [Product!]! }
input AddProductInput { name: String! price: Float! }
type Product @key(fields: "id") { id: ID! name: String! price: Float! }
""",
    "b": link("2.3", "@key", "@external", "@requires")
    + """
type Product @key(fields: "id") {
  id: ID!
  price: Float! @external
  isExpensive: Boolean! @requires(fields: "price")
  isAvailable: Boolean!
}
type Mutation { delete(requestId: String!): Int! }
""",
    "c": link("2.3", "@key")
    + """
type Mutation { add(num: Int!, requestId: String!): Int! }
""",
}


def subgraphs() -> dict[str, Subgraph]:
    # One store shared by the three subgraphs, as the audit's data module is.
    products: dict[str, dict[str, Any]] = {
        "p1": {"id": "p1", "name": "p1-name", "price": 9.99},
    }
    numbers: dict[str, int] = {}

    def add_product(parent: Any, input: dict[str, Any]) -> dict[str, Any]:
        product = {"id": f"p{len(products) + 1}", **input}
        products[product["id"]] = product
        return product

    def add(parent: Any, num: int, requestId: str) -> int:
        numbers[requestId] = numbers.get(requestId, 0) + num
        return numbers[requestId]

    def multiply(parent: Any, by: int, requestId: str) -> int:
        numbers[requestId] = numbers.get(requestId, 0) * by
        return numbers[requestId]

    def delete(parent: Any, requestId: str) -> int:
        return numbers.pop(requestId)

    def availability(rep: dict[str, Any]) -> dict[str, Any] | None:
        if rep["id"] not in products:
            return None
        return {
            "isAvailable": True,
            "isExpensive": lambda product: product["price"] > 100,
        }

    return {
        "a": Subgraph(
            SDLS["a"],
            query={
                "product": lambda parent, id: products.get(id),
                "products": lambda parent: list(products.values()),
            },
            mutation={"addProduct": add_product, "multiply": multiply},
            entities={"Product": lambda rep: products.get(rep["id"])},
        ),
        "b": Subgraph(
            SDLS["b"],
            mutation={"delete": delete},
            entities={"Product": availability},
        ),
        "c": Subgraph(SDLS["c"], mutation={"add": add}),
    }


CASES: list[Case] = [
    (
        "mutation fields of three subgraphs run in the order asked",
        """mutation {
          five: add(num: 5, requestId: "r1")
          ten: multiply(by: 2, requestId: "r1")
          twelve: add(num: 2, requestId: "r1")
          final: delete(requestId: "r1")
        }""",
        {"data": {"five": 5, "ten": 10, "twelve": 12, "final": 12}},
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_mutations(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
