"""Audit suite `requires-with-argument`: @requires selections with field arguments
(`price(currency: "USD")`, `comments(limit: 3) { authorId }`). The audit's copy we
have answers only the products query; the feed case's data and answer are ours."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.audit.conftest import Case, link, run_case
from tests.conformance.harness import Subgraph

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

SDLS = {
    "a": link("2.3", "@key", "@external", "@requires")
    + '''
type Product @key(fields: "upc") {
  upc: String!
  weight: Int @external
  price(currency: String!): Int @external
  shippingEstimate: Int @requires(fields: """price(currency: "USD") weight""")
}
''',
    "b": link("2.3", "@key")
    + """
type Query { products: [Product] }
type Product @key(fields: "upc") {
  upc: String! name: String price(currency: String!): Int weight: Int
}
""",
    "c": link("2.3", "@key", "@external", "@requires")
    + """
type Query { feed: [Post] }
type Post @key(fields: "id") { id: ID! }
type Comment @key(fields: "id") { id: ID! authorId: ID body: String! }
""",
    "d": link("2.3", "@key", "@external", "@requires")
    + """
type Post @key(fields: "id") {
  id: ID!
  author: Author @requires(fields: "comments(limit: 3) { authorId }")
  comments(limit: Int!): [Comment]
}
type Comment @key(fields: "id") { id: ID! date: String authorId: ID @external }
type Author { id: ID! name: String }
""",
}

PRODUCTS = {"p1": ("p-name-1", 11, 1), "p2": ("p-name-2", 22, 2)}
COMMENTS = [  # (id, post, author)
    ("c1", "post1", "a1"),
    ("c2", "post1", "a2"),
    ("c3", "post1", "a3"),
    ("c4", "post1", "a1"),
    ("c5", "post2", "a2"),
]
AUTHORS = {"a1": "Alice", "a2": "Bob", "a3": "Carol"}


def in_b(upc: str) -> dict[str, Any]:
    name, price, weight = PRODUCTS[upc]
    prices = {"USD": price}
    return {
        "upc": upc,
        "name": name,
        "price": lambda p, currency: prices.get(currency),
        "weight": weight,
    }


def comments_of(post: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    return [{"id": c} for c, p, _ in COMMENTS if p == post["id"]][:limit]


def author_in_d(post: dict[str, Any]) -> dict[str, Any] | None:
    # The third comment's author, read from what the representation carries.
    comments = post["comments"]
    if len(comments) < 3:
        return None
    author = comments[2]["authorId"]
    return {"id": author, "name": AUTHORS[author]}


def subgraphs() -> dict[str, Subgraph]:
    comments = [{"id": c, "authorId": a, "body": f"{c}-body"} for c, _, a in COMMENTS]
    return {
        "a": Subgraph(
            SDLS["a"],
            entities={
                "Product": lambda rep: {
                    "shippingEstimate": lambda p: p["price"] * p["weight"] * 10
                }
            },
        ),
        "b": Subgraph(
            SDLS["b"],
            query={"products": [in_b(upc) for upc in PRODUCTS]},
            entities={"Product": lambda rep: in_b(rep["upc"])},
        ),
        "c": Subgraph(
            SDLS["c"],
            query={"feed": [{"id": "post1"}, {"id": "post2"}]},
            entities={"Comment": comments, "Post": lambda rep: {}},
        ),
        "d": Subgraph(
            SDLS["d"],
            entities={
                "Post": lambda rep: {"author": author_in_d, "comments": comments_of},
                "Comment": lambda rep: {},
            },
        ),
    }


CASES: list[Case] = [
    (
        "a required field with an argument is fetched with it and sent on",
        "{ products { upc name shippingEstimate } }",
        {
            "data": {
                "products": [
                    {"upc": "p1", "name": "p-name-1", "shippingEstimate": 110},
                    {"upc": "p2", "name": "p-name-2", "shippingEstimate": 440},
                ]
            }
        },
    ),
    (
        "a required list with an argument, its items' fields from another subgraph",
        "{ feed { id author { id name } } }",
        {
            "data": {
                "feed": [
                    {"id": "post1", "author": {"id": "a3", "name": "Carol"}},
                    {"id": "post2", "author": None},
                ]
            }
        },
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_requires_with_argument(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
