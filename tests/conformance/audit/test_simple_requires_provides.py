"""Audit suite `simple-requires-provides`: the classic four subgraphs (accounts,
inventory, products, reviews) with @requires of two fields and @provides of an
external field. The audit's `accounts` subgraph is not in our copy and is
reconstructed (Query.me, User by id with its username)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.audit.conftest import Case, link, run_case
from tests.conformance.harness import Subgraph

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

SDLS = {
    "accounts": link("2.3", "@key")
    + """
type Query { me: User }
type User @key(fields: "id") { id: ID! name: String username: String }
""",
    "inventory": link("2.3", "@key", "@external", "@requires")
    + """
type Product @key(fields: "upc") {
  upc: String!
  weight: Int @external
  price: Int @external
  inStock: Boolean
  shippingEstimate: Int @requires(fields: "price weight")
  shippingEstimateTag: String @requires(fields: "price weight")
}
""",
    "products": link("2.3", "@key")
    + """
type Query { products: [Product] }
type Product @key(fields: "upc") { upc: String! name: String price: Int weight: Int }
""",
    "reviews": link("2.3", "@key", "@external", "@provides")
    + """
type Review @key(fields: "id") {
  id: ID! body: String author: User @provides(fields: "username") product: Product
}
type User @key(fields: "id") { id: ID! username: String @external reviews: [Review] }
type Product @key(fields: "upc") { upc: String! reviews: [Review] }
""",
}

USER = {"id": "u1", "name": "u-name-1", "username": "u-username-1"}
PRODUCTS = {
    "p1": {"upc": "p1", "name": "p-name-1", "price": 11, "weight": 1},
    "p2": {"upc": "p2", "name": "p-name-2", "price": 22, "weight": 2},
}
IN_STOCK = {"p1"}
REVIEWS = {"r1": ("u1", "p1"), "r2": ("u1", "p2")}


def review(id: str) -> dict[str, Any]:
    author, product = REVIEWS[id]
    return {
        "id": id,
        "body": f"{id}-body",
        "author": {"id": author, "username": USER["username"]},
        "product": lambda _: product_in_reviews(product),
    }


def product_in_reviews(upc: str) -> dict[str, Any]:
    return {
        "upc": upc,
        "reviews": [review(r) for r, (_, p) in REVIEWS.items() if p == upc],
    }


def estimate(product: dict[str, Any]) -> int:
    return product["price"] * product["weight"] * 10


def subgraphs() -> dict[str, Subgraph]:
    return {
        "accounts": Subgraph(
            SDLS["accounts"], query={"me": USER}, entities={"User": [USER]}
        ),
        "inventory": Subgraph(
            SDLS["inventory"],
            entities={
                "Product": lambda rep: {
                    "inStock": rep["upc"] in IN_STOCK,
                    "shippingEstimate": estimate,
                    "shippingEstimateTag": lambda p: f"#{p['upc']}#{estimate(p)}#",
                }
            },
        ),
        "products": Subgraph(
            SDLS["products"],
            query={"products": list(PRODUCTS.values())},
            entities={"Product": list(PRODUCTS.values())},
        ),
        "reviews": Subgraph(
            SDLS["reviews"],
            entities={
                "Review": lambda rep: review(rep["id"]),
                "User": lambda rep: {
                    "reviews": [
                        review(r) for r, (a, _) in REVIEWS.items() if a == rep["id"]
                    ]
                },
                "Product": lambda rep: product_in_reviews(rep["upc"]),
            },
        ),
    }


def each_review(*products: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"me": {"reviews": [{"product": p} for p in products]}}}


CASES: list[Case] = [
    ("a root entity", "{ me { id } }", {"data": {"me": {"id": "u1"}}}),
    (
        "a list from another subgraph",
        "{ me { id reviews { id } } }",
        {"data": {"me": {"id": "u1", "reviews": [{"id": "r1"}, {"id": "r2"}]}}},
    ),
    (
        "a provided field and a field two jumps away",
        "{ me { reviews { id author { id username } product { inStock } } } }",
        {
            "data": {
                "me": {
                    "reviews": [
                        {
                            "id": "r1",
                            "author": {"id": "u1", "username": "u-username-1"},
                            "product": {"inStock": True},
                        },
                        {
                            "id": "r2",
                            "author": {"id": "u1", "username": "u-username-1"},
                            "product": {"inStock": False},
                        },
                    ]
                }
            }
        },
    ),
    (
        "a root list's own field",
        "{ products { name } }",
        {"data": {"products": [{"name": "p-name-1"}, {"name": "p-name-2"}]}},
    ),
    (
        "a root list's field also required elsewhere",
        "{ products { price } }",
        {"data": {"products": [{"price": 11}, {"price": 22}]}},
    ),
    (
        "a field requiring two fields",
        "{ products { shippingEstimate } }",
        {"data": {"products": [{"shippingEstimate": 110}, {"shippingEstimate": 440}]}},
    ),
    (
        "a field requiring two fields, the client asking them too",
        "{ products { shippingEstimate weight price } }",
        {
            "data": {
                "products": [
                    {"shippingEstimate": 110, "weight": 1, "price": 11},
                    {"shippingEstimate": 440, "weight": 2, "price": 22},
                ]
            }
        },
    ),
    (
        "requires and provides under a list from another subgraph",
        "{ products { reviews { id author { username }"
        " product { name shippingEstimate } } } }",
        {
            "data": {
                "products": [
                    {
                        "reviews": [
                            {
                                "id": "r1",
                                "author": {"username": "u-username-1"},
                                "product": {
                                    "name": "p-name-1",
                                    "shippingEstimate": 110,
                                },
                            }
                        ]
                    },
                    {
                        "reviews": [
                            {
                                "id": "r2",
                                "author": {"username": "u-username-1"},
                                "product": {
                                    "name": "p-name-2",
                                    "shippingEstimate": 440,
                                },
                            }
                        ]
                    },
                ]
            }
        },
    ),
    (
        "back to the same subgraph through a nested entity",
        "{ me { reviews { product { reviews { id } } } } }",
        each_review({"reviews": [{"id": "r1"}]}, {"reviews": [{"id": "r2"}]}),
    ),
    (
        "a field two jumps away only",
        "{ me { reviews { product { inStock } } } }",
        each_review({"inStock": True}, {"inStock": False}),
    ),
    (
        "a requires field three jumps away",
        "{ me { reviews { product { shippingEstimate } } } }",
        each_review({"shippingEstimate": 110}, {"shippingEstimate": 440}),
    ),
    (
        "two fields with the same requirements",
        "{ me { reviews { product { shippingEstimate shippingEstimateTag } } } }",
        each_review(
            {"shippingEstimate": 110, "shippingEstimateTag": "#p1#110#"},
            {"shippingEstimate": 440, "shippingEstimateTag": "#p2#440#"},
        ),
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_simple_requires_provides(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
