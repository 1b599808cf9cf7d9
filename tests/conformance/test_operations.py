"""Operation features over a Federation 1 supergraph: fragments, variables and
defaults, aliases (two aliases of one field with different arguments), @skip and
@include (static and by variable), `__typename`, operation names."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.harness import Subgraph, fixture_sdl, supergraph_sdl

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

FIXTURE = "fed1_subgraphs"

PRODUCTS = [
    {"__typename": "Product", "upc": "1", "name": "Table", "price": 899, "weight": 100},
    {
        "__typename": "Product",
        "upc": "2",
        "name": "Couch",
        "price": 1299,
        "weight": 1000,
    },
    {"__typename": "Product", "upc": "3", "name": "Chair", "price": 54, "weight": 50},
]


def _reviews_by(user: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in REVIEWS if r["author"]["id"] == user["id"]]


def _author(user_id: str, username: str) -> dict[str, Any]:
    return {
        "__typename": "User",
        "id": user_id,
        "username": username,
        "reviews": _reviews_by,
    }


REVIEWS = [
    {
        "__typename": "Review",
        "id": "r1",
        "body": "Love it!",
        "author": _author("u1", "@ada"),
    },
    {
        "__typename": "Review",
        "id": "r2",
        "body": "Too small",
        "author": _author("u2", "@grace"),
    },
]


def shipping(product: dict[str, Any]) -> int:
    return 0 if product["price"] > 1000 else product["weight"] // 2


def subgraphs() -> dict[str, Subgraph]:
    return {
        "accounts": Subgraph(
            fixture_sdl(FIXTURE, "accounts"),
            query={"me": {"__typename": "User", "id": "u1", "username": "@ada"}},
            entities={
                "User": [
                    {"id": "u1", "username": "@ada"},
                    {"id": "u2", "username": "@grace"},
                ]
            },
        ),
        "products": Subgraph(
            fixture_sdl(FIXTURE, "products"),
            query={"topProducts": lambda _, first=5: PRODUCTS[:first]},
            entities={"Product": PRODUCTS},
        ),
        "inventory": Subgraph(
            fixture_sdl(FIXTURE, "inventory"),
            entities={
                "Product": lambda rep: {
                    "inStock": rep["upc"] != "2",
                    "shippingEstimate": shipping,
                }
            },
        ),
        "reviews": Subgraph(
            fixture_sdl(FIXTURE, "reviews"),
            query={"topReviews": lambda _, first=5: REVIEWS[:first]},
            entities={
                "User": lambda rep: {"reviews": _reviews_by},
                "Review": REVIEWS,
            },
        ),
    }


CASES: list[tuple[str, str, dict[str, Any] | None, dict[str, Any]]] = [
    (
        "argument default applies",
        "{ topProducts { upc } }",
        None,
        {"data": {"topProducts": [{"upc": "1"}, {"upc": "2"}, {"upc": "3"}]}},
    ),
    (
        "argument from a variable",
        "query($n: Int) { topProducts(first: $n) { name } }",
        {"n": 1},
        {"data": {"topProducts": [{"name": "Table"}]}},
    ),
    (
        "variable default applies when the variable is absent",
        "query($n: Int = 2) { topProducts(first: $n) { name } }",
        {},
        {"data": {"topProducts": [{"name": "Table"}, {"name": "Couch"}]}},
    ),
    (
        "two aliases of one field with different arguments",
        "{ one: topProducts(first: 1) { name } two: topProducts(first: 2) { upc } }",
        None,
        {
            "data": {
                "one": [{"name": "Table"}],
                "two": [{"upc": "1"}, {"upc": "2"}],
            }
        },
    ),
    (
        "two aliases with different arguments, each crossing subgraphs",
        "{ a: topProducts(first: 1) { inStock } "
        "b: topProducts(first: 2) { name inStock } }",
        None,
        {
            "data": {
                "a": [{"inStock": True}],
                "b": [
                    {"name": "Table", "inStock": True},
                    {"name": "Couch", "inStock": False},
                ],
            }
        },
    ),
    (
        "named fragments across subgraphs",
        "{ topProducts(first: 2) { ...Info } } "
        "fragment Info on Product { name inStock }",
        None,
        {
            "data": {
                "topProducts": [
                    {"name": "Table", "inStock": True},
                    {"name": "Couch", "inStock": False},
                ]
            }
        },
    ),
    (
        "nested fragments and an inline fragment without type condition",
        "{ topProducts(first: 1) { ...A } } fragment A on Product { ... { upc ...B } }"
        " fragment B on Product { weight }",
        None,
        {"data": {"topProducts": [{"upc": "1", "weight": 100}]}},
    ),
    (
        "the same field from a fragment and the selection is merged once",
        "{ topProducts(first: 1) { name ...N } } fragment N on Product { name upc }",
        None,
        {"data": {"topProducts": [{"name": "Table", "upc": "1"}]}},
    ),
    (
        "@skip(if: true) drops a field statically",
        "{ topProducts(first: 1) { name inStock @skip(if: true) } }",
        None,
        {"data": {"topProducts": [{"name": "Table"}]}},
    ),
    (
        "@include(if: false) drops a whole subgraph's field",
        "{ topProducts(first: 1) { name } me @include(if: false) { id } }",
        None,
        {"data": {"topProducts": [{"name": "Table"}]}},
    ),
    (
        "@include by a variable that is true",
        "query($x: Boolean!) { topProducts(first: 1) { inStock @include(if: $x) } }",
        {"x": True},
        {"data": {"topProducts": [{"inStock": True}]}},
    ),
    (
        "@include by a variable that is false",
        "query($x: Boolean!) "
        "{ topProducts(first: 1) { upc inStock @include(if: $x) } }",
        {"x": False},
        {"data": {"topProducts": [{"upc": "1"}]}},
    ),
    (
        "@skip by a variable on a fragment spread",
        "query($s: Boolean = true) { topProducts(first: 1) { upc ...F @skip(if: $s) } }"
        " fragment F on Product { name }",
        None,
        {"data": {"topProducts": [{"upc": "1"}]}},
    ),
    (
        "@skip and @include together: included only when both allow",
        "query($a: Boolean!, $b: Boolean!) "
        "{ me { id @skip(if: $a) @include(if: $b) } }",
        {"a": False, "b": True},
        {"data": {"me": {"id": "u1"}}},
    ),
    (
        "__typename on the root and on every level",
        "{ __typename topProducts(first: 1) { __typename } me { __typename } }",
        None,
        {
            "data": {
                "__typename": "Query",
                "topProducts": [{"__typename": "Product"}],
                "me": {"__typename": "User"},
            }
        },
    ),
    (
        "an aliased __typename",
        "{ me { kind: __typename id } }",
        None,
        {"data": {"me": {"kind": "User", "id": "u1"}}},
    ),
    (
        "root fields of several subgraphs in one query, in the client's order",
        "{ me { username } topReviews(first: 1) { body } "
        "topProducts(first: 1) { name } }",
        None,
        {
            "data": {
                "me": {"username": "@ada"},
                "topReviews": [{"body": "Love it!"}],
                "topProducts": [{"name": "Table"}],
            }
        },
    ),
    (
        "a three-subgraph chain: reviews -> provided author -> accounts-only field",
        "{ me { reviews { body author { username reviews { id } } } } }",
        None,
        {
            "data": {
                "me": {
                    "reviews": [
                        {
                            "body": "Love it!",
                            "author": {"username": "@ada", "reviews": [{"id": "r1"}]},
                        }
                    ]
                }
            }
        },
    ),
    (
        "@requires across Federation 1 subgraphs",
        "{ topProducts { name shippingEstimate } }",
        None,
        {
            "data": {
                "topProducts": [
                    {"name": "Table", "shippingEstimate": 50},
                    {"name": "Couch", "shippingEstimate": 0},
                    {"name": "Chair", "shippingEstimate": 25},
                ]
            }
        },
    ),
]


@pytest.mark.parametrize(
    ("query", "variables", "expected"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
async def test_operation(
    gateway: GatewayFactory,
    query: str,
    variables: dict[str, Any] | None,
    expected: dict[str, Any],
) -> None:
    client = await gateway(supergraph_sdl(FIXTURE), subgraphs())
    assert await client.query(query, variables) == expected


async def test_operation_name_selects_one_of_several(gateway: GatewayFactory) -> None:
    client = await gateway(supergraph_sdl(FIXTURE), subgraphs())
    document = "query A { me { id } } query B { topProducts(first: 1) { upc } }"
    assert await client.query(document, operation_name="B") == {
        "data": {"topProducts": [{"upc": "1"}]}
    }
    assert await client.query(document, operation_name="A") == {
        "data": {"me": {"id": "u1"}}
    }
