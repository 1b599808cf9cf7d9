"""Audit suite `abstract-types`: interfaces and unions whose members and fields are
spread over seven subgraphs (@requires on implementations, a union extended
elsewhere, @inaccessible interface fields), selected through fragments with
aliases and variable @skip/@include. The audit's `users` subgraph is not in our
copy of the audit and is reconstructed (User by email, no test reads it alone)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.audit.conftest import Case, link, run_case
from tests.conformance.harness import Subgraph

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

FED = "2.3"
SDLS = {
    "agency": link(FED, "@key")
    + """
type Agency @key(fields: "id") { id: ID! companyName: String email: Email }
type Email { address: String }
type Group @key(fields: "id") { id: ID! name: String email: String }
union PublisherType = Agency | Group
""",
    "inventory": link(FED, "@key", "@shareable", "@external", "@requires")
    + """
interface Product {
  id: ID! dimensions: ProductDimension delivery(zip: String): DeliveryEstimates
}
type Book implements Product @key(fields: "id") {
  id: ID!
  dimensions: ProductDimension @external
  delivery(zip: String): DeliveryEstimates
    @requires(fields: "dimensions { size weight }")
}
type Magazine implements Product @key(fields: "id") {
  id: ID!
  dimensions: ProductDimension @external
  delivery(zip: String): DeliveryEstimates
    @requires(fields: "dimensions { size weight }")
}
type ProductDimension @shareable { size: String weight: Float }
type DeliveryEstimates { estimatedDelivery: String fastestDelivery: String }
""",
    "books": link(FED, "@key")
    + """
type Book @key(fields: "id") { id: ID! title: String }
type Query { books: [Book] }
""",
    "users": link(FED, "@key", "@shareable")
    + """
type User @key(fields: "email") {
  email: ID! name: String totalProductsCreated: Int @shareable
}
""",
    "reviews": link(FED, "@key", "@shareable", "@requires", "@external")
    + """
type Book implements Product & Similar @key(fields: "id") {
  id: ID!
  reviewsCount: Int!
  reviewsScore: Float! @shareable
  reviews: [Review!]!
  similar: [Book] @external
  reviewsOfSimilar: [Review!]! @requires(fields: "similar { id }")
}
type Magazine implements Product & Similar @key(fields: "id") {
  id: ID!
  reviewsCount: Int!
  reviewsScore: Float! @shareable
  reviews: [Review!]!
  similar: [Magazine] @external
  reviewsOfSimilar: [Review!]! @requires(fields: "similar { id }")
}
interface Product {
  id: ID! reviewsCount: Int! reviewsScore: Float! reviews: [Review!]!
}
interface Similar { similar: [Product] }
type Query { review(id: Int!): Review }
type Review { id: Int! body: String! product: Product }
""",
    "products": link(FED, "@key", "@shareable", "@inaccessible", "@external")
    + """
type Query { products: [Product] similar(id: ID!): [Product] }
interface Product {
  id: ID!
  sku: String
  dimensions: ProductDimension
  createdBy: User
  hidden: Boolean @inaccessible
}
interface Similar { similar: [Product] }
type ProductDimension @shareable { size: String weight: Float }
type Book implements Product & Similar @key(fields: "id") {
  id: ID!
  sku: String
  dimensions: ProductDimension @shareable
  createdBy: User
  similar: [Book]
  hidden: Boolean
  publisherType: PublisherType
}
type Magazine implements Product & Similar @key(fields: "id") {
  id: ID!
  sku: String
  dimensions: ProductDimension @shareable
  createdBy: User
  similar: [Magazine]
  hidden: Boolean
  publisherType: PublisherType
}
union PublisherType = Agency | Self
type Agency { id: ID! @shareable }
type Self { email: String }
type User @key(fields: "email") { email: ID! totalProductsCreated: Int @shareable }
""",
    "magazines": link(FED, "@key")
    + """
type Magazine @key(fields: "id") { id: ID! title: String }
type Query { magazines: [Magazine] }
""",
}

SELF = {"__typename": "Self", "email": "u1@example.com"}
AGENCY = {"__typename": "Agency", "id": "a1"}
# id -> (type, sku, title, creator, size, weight, publisher)
PRODUCTS = {
    "p1": ("Book", "sku-1", "Book 1", "u1", "small", 0.5, SELF),
    "p3": ("Book", "sku-3", "Book 2", "u2", "small", 0.6, AGENCY),
    "p2": ("Magazine", "sku-2", "Magazine 1", "u1", "small", 0.2, AGENCY),
    "p4": ("Magazine", "sku-4", "Magazine 2", "u2", "small", 0.3, SELF),
}
REVIEWS = [(1, "review 1", "p1", 3), (2, "review 2", "p1", 4), (3, "review 3", "p2", 5)]


def user(id: str) -> dict[str, Any]:
    created = sum(1 for p in PRODUCTS.values() if p[3] == id)
    return {"email": f"{id}@example.com", "totalProductsCreated": created}


def in_products(id: str) -> dict[str, Any]:
    kind, sku, _, creator, size, weight, publisher = PRODUCTS[id]
    return {
        "__typename": kind,
        "id": id,
        "sku": sku,
        "dimensions": {"size": size, "weight": weight},
        "createdBy": user(creator),
        "hidden": False,
        "publisherType": publisher,
        "similar": lambda p: [
            in_products(other)
            for other, o in PRODUCTS.items()
            if o[0] == kind and other != p["id"]
        ],
    }


def similar(parent: Any, id: str) -> list[dict[str, Any]]:
    return in_products(id)["similar"]({"id": id})


def delivery(product: dict[str, Any], zip: str | None = None) -> Any:
    dimensions = product.get("dimensions")
    if not zip or not dimensions:
        return None
    if dimensions["size"] == "small" and dimensions["weight"] < 1:
        return {"estimatedDelivery": "1 day", "fastestDelivery": "same day"}
    if dimensions["size"] == "large" and dimensions["weight"] >= 1:
        return {"estimatedDelivery": "3 days", "fastestDelivery": "2 days"}
    return None


def review(id: int) -> dict[str, Any]:
    _, body, product, _ = REVIEWS[id - 1]
    return {"id": id, "body": body, "product": in_reviews(product)}


def scores(product: dict[str, Any]) -> list[int]:
    return [r[3] for r in REVIEWS if r[2] == product["id"]]


def in_reviews(id: str) -> dict[str, Any]:
    """A product as `reviews` resolves it; fields computed when asked."""
    return {
        "__typename": PRODUCTS[id][0],
        "id": id,
        "reviewsCount": lambda p: len(scores(p)),
        "reviewsScore": lambda p: sum(scores(p)) / len(scores(p)) if scores(p) else 0,
        "reviews": lambda p: [review(r[0]) for r in REVIEWS if r[2] == p["id"]],
        "reviewsOfSimilar": lambda p: [
            review(r[0]) for s in p["similar"] for r in REVIEWS if r[2] == s["id"]
        ],
    }


def titled(kind: str) -> list[dict[str, Any]]:
    return [
        {"__typename": kind, "id": id, "title": p[2]}
        for id, p in PRODUCTS.items()
        if p[0] == kind
    ]


def subgraphs() -> dict[str, Subgraph]:
    return {
        "agency": Subgraph(
            SDLS["agency"],
            entities={
                "Agency": [
                    {
                        "id": "a1",
                        "companyName": "Agency 1",
                        "email": {"address": "a1@example.com"},
                    }
                ],
                "Group": lambda rep: {
                    "name": f"Group {rep['id']}",
                    "email": f"group{rep['id']}@example.com",
                },
            },
        ),
        "inventory": Subgraph(
            SDLS["inventory"],
            entities={
                kind: lambda rep: {"delivery": delivery}
                for kind in ("Book", "Magazine")
            },
        ),
        "books": Subgraph(
            SDLS["books"],
            query={"books": titled("Book")},
            entities={"Book": titled("Book")},
        ),
        "users": Subgraph(
            SDLS["users"],
            entities={
                "User": [{**user(u), "name": f"{u}-name"} for u in ("u1", "u2", "u3")]
            },
        ),
        "reviews": Subgraph(
            SDLS["reviews"],
            query={"review": lambda parent, id: review(id) if id <= 3 else None},
            entities={
                kind: lambda rep: in_reviews(rep["id"]) for kind in ("Book", "Magazine")
            },
        ),
        "products": Subgraph(
            SDLS["products"],
            query={
                "products": [in_products(id) for id in PRODUCTS],
                "similar": similar,
            },
            entities={
                "Book": lambda rep: in_products(rep["id"]),
                "Magazine": lambda rep: in_products(rep["id"]),
                "User": [user(u) for u in ("u1", "u2", "u3")],
            },
        ),
        "magazines": Subgraph(
            SDLS["magazines"],
            query={"magazines": titled("Magazine")},
            entities={"Magazine": titled("Magazine")},
        ),
    }


def reviewed(p1: dict[str, Any], p2: dict[str, Any]) -> dict[str, Any]:
    """`products { id reviews { product {...} } }`: p1 has two reviews, p2 one."""
    return {
        "data": {
            "products": [
                {"id": "p1", "reviews": [{"product": p1}, {"product": p1}]},
                {"id": "p3", "reviews": []},
                {"id": "p2", "reviews": [{"product": p2}]},
                {"id": "p4", "reviews": []},
            ]
        }
    }


def reviewed_query(product_selection: str, variables: str = "") -> str:
    return (
        f"query {variables} {{ products {{ id reviews {{ product {{"
        f" {product_selection} }} }} }} }}"
    )


PUBLISHER = """
fragment Publisher on PublisherType {
  ... on Agency { id companyName }
  ... on Self { email }
}"""
PUBLISHERS = (
    "id ... on Magazine { publisherType { ...Publisher } }"
    " ... on Book { publisherType { ...Publisher } }"
)

CASES: list[Case] = [
    (
        "a shareable value type field of an interface",
        "{ products { id dimensions { size weight } } }",
        {
            "data": {
                "products": [
                    {"id": "p1", "dimensions": {"size": "small", "weight": 0.5}},
                    {"id": "p3", "dimensions": {"size": "small", "weight": 0.6}},
                    {"id": "p2", "dimensions": {"size": "small", "weight": 0.2}},
                    {"id": "p4", "dimensions": {"size": "small", "weight": 0.3}},
                ]
            }
        },
    ),
    (
        "a root field returning an interface, with arguments",
        '{ similar(id: "p1") { id sku } }',
        {"data": {"similar": [{"id": "p3", "sku": "sku-3"}]}},
    ),
    (
        "a requires on every implementation of an interface, under two aliases",
        """{
          book: similar(id: "p1") { id sku delivery(zip: "1234") {
            fastestDelivery estimatedDelivery } }
          magazine: similar(id: "p2") { id sku delivery(zip: "1234") {
            fastestDelivery estimatedDelivery } }
        }""",
        {
            "data": {
                "book": [
                    {
                        "id": "p3",
                        "sku": "sku-3",
                        "delivery": {
                            "fastestDelivery": "same day",
                            "estimatedDelivery": "1 day",
                        },
                    }
                ],
                "magazine": [
                    {
                        "id": "p4",
                        "sku": "sku-4",
                        "delivery": {
                            "fastestDelivery": "same day",
                            "estimatedDelivery": "1 day",
                        },
                    }
                ],
            }
        },
    ),
    (
        "one field through the interface, its members and another interface",
        """{ products { sku ... on Product { sku } ... on Book { sku }
          ... on Magazine { sku } ... on Similar { __typename type: __typename } } }""",
        {
            "data": {
                "products": [
                    {"sku": "sku-1", "__typename": "Book", "type": "Book"},
                    {"sku": "sku-3", "__typename": "Book", "type": "Book"},
                    {"sku": "sku-2", "__typename": "Magazine", "type": "Magazine"},
                    {"sku": "sku-4", "__typename": "Magazine", "type": "Magazine"},
                ]
            }
        },
    ),
    (
        "an aliased entity field beside a member's field from another subgraph",
        """{ products { author: createdBy { email totalProductsCreated }
          ... on Magazine { title } } }""",
        {
            "data": {
                "products": [
                    {"author": {"email": "u1@example.com", "totalProductsCreated": 2}},
                    {"author": {"email": "u2@example.com", "totalProductsCreated": 2}},
                    {
                        "author": {
                            "email": "u1@example.com",
                            "totalProductsCreated": 2,
                        },
                        "title": "Magazine 1",
                    },
                    {
                        "author": {
                            "email": "u2@example.com",
                            "totalProductsCreated": 2,
                        },
                        "title": "Magazine 2",
                    },
                ]
            }
        },
    ),
    (
        "interface values returned by another subgraph, completed per member",
        reviewed_query("sku ... on Magazine { title } ... on Book { reviewsCount }"),
        reviewed(
            {"sku": "sku-1", "reviewsCount": 2}, {"sku": "sku-2", "title": "Magazine 1"}
        ),
    ),
    (
        "include on a member's fragment, true by default",
        reviewed_query(
            "id ... on Book @include(if: $title) { title } ... on Magazine { sku }",
            "($title: Boolean = true)",
        ),
        reviewed({"id": "p1", "title": "Book 1"}, {"id": "p2", "sku": "sku-2"}),
    ),
    (
        "include on a member's fragment, false by default",
        reviewed_query(
            "id ... on Book @include(if: $title) { title } ... on Magazine { sku }",
            "($title: Boolean = false)",
        ),
        reviewed({"id": "p1"}, {"id": "p2", "sku": "sku-2"}),
    ),
    (
        "skip on a member's fragment, false by default",
        reviewed_query(
            "id ... on Book @skip(if: $title) { title } ... on Magazine { sku }",
            "($title: Boolean = false)",
        ),
        reviewed({"id": "p1", "title": "Book 1"}, {"id": "p2", "sku": "sku-2"}),
    ),
    (
        "skip on a member's fragment, true by default",
        reviewed_query(
            "id ... on Book @skip(if: $title) { title } ... on Magazine { sku }",
            "($title: Boolean = true)",
        ),
        reviewed({"id": "p1"}, {"id": "p2", "sku": "sku-2"}),
    ),
    (
        "a skipped fragment beside an unconditional one on the same member",
        reviewed_query(
            "id ... on Book @skip(if: $title) { title } ... on Book { sku }"
            " ... on Magazine { sku }",
            "($title: Boolean = true)",
        ),
        reviewed({"id": "p1", "sku": "sku-1"}, {"id": "p2", "sku": "sku-2"}),
    ),
    (
        "a kept fragment beside an unconditional one on the same member",
        reviewed_query(
            "id ... on Book @skip(if: $title) { title } ... on Book { sku }"
            " ... on Magazine { sku }",
            "($title: Boolean = false)",
        ),
        reviewed(
            {"id": "p1", "title": "Book 1", "sku": "sku-1"},
            {"id": "p2", "sku": "sku-2"},
        ),
    ),
    (
        "a fragment nested in an included fragment",
        reviewed_query(
            "id ... on Book @include(if: $title) { title ... on Book { sku } }"
            " ... on Magazine { sku }",
            "($title: Boolean = true)",
        ),
        reviewed(
            {"id": "p1", "title": "Book 1", "sku": "sku-1"},
            {"id": "p2", "sku": "sku-2"},
        ),
    ),
    (
        "a skipped fragment nested in an included one",
        reviewed_query(
            "id ... on Book @include(if: $title) { title"
            " ... on Book @skip(if: $title) { sku } } ... on Magazine { sku }",
            "($title: Boolean = true)",
        ),
        reviewed({"id": "p1", "title": "Book 1"}, {"id": "p2", "sku": "sku-2"}),
    ),
    (
        "a union whose members live in different subgraphs, through a named fragment",
        reviewed_query(PUBLISHERS) + PUBLISHER,
        reviewed(
            {"id": "p1", "publisherType": {"email": "u1@example.com"}},
            {"id": "p2", "publisherType": {"id": "a1", "companyName": "Agency 1"}},
        ),
    ),
    (
        "a union member known only to the subgraph extending the union",
        reviewed_query(PUBLISHERS)
        + PUBLISHER.replace("}\n}", "}\n  ... on Group { name }\n}"),
        reviewed(
            {"id": "p1", "publisherType": {"email": "u1@example.com"}},
            {"id": "p2", "publisherType": {"id": "a1", "companyName": "Agency 1"}},
        ),
    ),
    (
        "one alias with different types in different union members",
        reviewed_query(PUBLISHERS)
        + """
fragment Publisher on PublisherType {
  ... on Agency { emailObj: email { address } }
  ... on Self { emailStr: email }
  ... on Group { emailStr: email }
}""",
        reviewed(
            {"id": "p1", "publisherType": {"emailStr": "u1@example.com"}},
            {"id": "p2", "publisherType": {"emailObj": {"address": "a1@example.com"}}},
        ),
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_abstract_types(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
