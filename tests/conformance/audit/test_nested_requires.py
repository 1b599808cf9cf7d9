"""Audit suite `nested-requires`: a @requires selection (`userOrders { id }`) whose
field is itself a @requires field of a third subgraph."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.audit.conftest import Case, link, run_case
from tests.conformance.harness import Subgraph

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

SDLS = {
    "service1": link("2.5", "@key")
    + """
type User @key(fields: "id") {
  id: ID! firstName: String! lastName: String! address: String
}
type Query { user: User }
""",
    "service2": link("2.5", "@key", "@requires", "@external")
    + """
type UserOrder @key(fields: "id", resolvable: false) { id: ID! }
type User @key(fields: "id") {
  id: ID!
  userOrders: [UserOrder!] @external
  totalOrdersPrices: Int @requires(fields: "userOrders { id }")
  aggregatedOrdersByStatus: Int @requires(fields: "userOrders { id }")
}
""",
    "service3": link("2.5", "@key", "@requires", "@external")
    + """
type UserOrder @key(fields: "id") { id: ID! }
type User @key(fields: "id") {
  id: ID!
  lastName: String! @external
  userOrders: [UserOrder!] @requires(fields: "lastName")
}
""",
}


def orders_of(user: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"id": f"{user['lastName']}1"}]


def counted(value: int) -> Any:
    def resolve(user: dict[str, Any]) -> int:
        if not isinstance(user["userOrders"], list):
            raise TypeError("userOrders is required to be a list")
        return value

    return resolve


def subgraphs() -> dict[str, Subgraph]:
    return {
        "service1": Subgraph(
            SDLS["service1"],
            query={
                "user": {
                    "id": "1",
                    "firstName": "Jake",
                    "lastName": "Dawkins",
                    "address": "everywhere",
                }
            },
        ),
        "service2": Subgraph(
            SDLS["service2"],
            entities={
                "User": lambda rep: {
                    "totalOrdersPrices": counted(0),
                    "aggregatedOrdersByStatus": counted(1),
                }
            },
        ),
        "service3": Subgraph(
            SDLS["service3"], entities={"User": lambda rep: {"userOrders": orders_of}}
        ),
    }


CASES: list[Case] = [
    (
        "two fields requiring a list computed from a requirement elsewhere",
        "{ user { aggregatedOrdersByStatus totalOrdersPrices } }",
        {"data": {"user": {"aggregatedOrdersByStatus": 1, "totalOrdersPrices": 0}}},
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_nested_requires(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
