"""@key variants: compound keys, several keys, `resolvable: false`, de-duplication."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from gateway.compose import SubgraphDefinition, compose
from tests.conformance.harness import Subgraph, fixture_sdl, supergraph_sdl

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory


def compound() -> dict[str, Subgraph]:
    fixture = "compound_key"
    products = [
        {"sku": "A", "variation": {"id": "1"}, "title": "Apple"},
        {"sku": "A", "variation": {"id": "2"}, "title": "Apple XL"},
        {"sku": "B", "variation": {"id": "1"}, "title": None},
    ]
    return {
        "catalog": Subgraph(
            fixture_sdl(fixture, "catalog"),
            query={"products": [{"__typename": "Product", **p} for p in products]},
        ),
        "stock": Subgraph(
            fixture_sdl(fixture, "stock"),
            entities={
                "Product": [
                    {"sku": "A", "variation": {"id": "1"}, "inStock": 3},
                    {"sku": "A", "variation": {"id": "2"}, "inStock": 0},
                    {"sku": "B", "variation": {"id": "1"}, "inStock": 7},
                ]
            },
        ),
    }


COMPOUND_CASES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "compound key with a nested field reaches the other subgraph",
        "{ products { title inStock } }",
        {
            "data": {
                "products": [
                    {"title": "Apple", "inStock": 3},
                    {"title": "Apple XL", "inStock": 0},
                    {"title": None, "inStock": 7},
                ]
            }
        },
    ),
    (
        "key fields asked by the client are answered too",
        "{ products { sku variation { id } inStock } }",
        {
            "data": {
                "products": [
                    {"sku": "A", "variation": {"id": "1"}, "inStock": 3},
                    {"sku": "A", "variation": {"id": "2"}, "inStock": 0},
                    {"sku": "B", "variation": {"id": "1"}, "inStock": 7},
                ]
            }
        },
    ),
    (
        "only the stock field, keys hidden from the answer",
        "{ products { inStock } }",
        {"data": {"products": [{"inStock": 3}, {"inStock": 0}, {"inStock": 7}]}},
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [c[1:] for c in COMPOUND_CASES],
    ids=[c[0] for c in COMPOUND_CASES],
)
async def test_compound_key(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    client = await gateway(supergraph_sdl("compound_key"), compound())
    assert await client.query(query) == expected


def multiple() -> dict[str, Subgraph]:
    fixture = "multiple_keys"
    users = [
        {"__typename": "User", "id": "1", "email": "ada@x", "name": "Ada"},
        {"__typename": "User", "id": "2", "email": "grace@x", "name": "Grace"},
        {"__typename": "User", "id": "1", "email": "ada@x", "name": "Ada"},
    ]
    return {
        "accounts": Subgraph(
            fixture_sdl(fixture, "accounts"),
            query={"users": users},
            entities={"User": users},
        ),
        "billing": Subgraph(
            fixture_sdl(fixture, "billing"),
            entities={
                "User": [
                    {"email": "ada@x", "balance": 12.5},
                    {"email": "grace@x", "balance": 0.0},
                ]
            },
        ),
    }


async def test_the_key_the_target_subgraph_can_resolve_is_used(
    gateway: GatewayFactory,
) -> None:
    graph = multiple()
    client = await gateway(supergraph_sdl("multiple_keys"), graph)
    response = await client.query("{ users { name balance } }")
    assert response == {
        "data": {
            "users": [
                {"name": "Ada", "balance": 12.5},
                {"name": "Grace", "balance": 0.0},
                {"name": "Ada", "balance": 12.5},
            ]
        }
    }
    (entities,) = graph["billing"].requests
    assert entities["variables"]["representations"] == [
        {"__typename": "User", "email": "ada@x"},
        {"__typename": "User", "email": "grace@x"},
    ]


async def test_repeated_entities_are_sent_once_and_merged_everywhere(
    gateway: GatewayFactory,
) -> None:
    graph = multiple()
    client = await gateway(supergraph_sdl("multiple_keys"), graph)
    response = await client.query("{ users { id balance } }")
    assert response == {
        "data": {
            "users": [
                {"id": "1", "balance": 12.5},
                {"id": "2", "balance": 0.0},
                {"id": "1", "balance": 12.5},
            ]
        }
    }
    assert len(graph["billing"].requests) == 1
    assert len(graph["billing"].requests[0]["variables"]["representations"]) == 2


async def test_billing_only_field_with_email_key_asked_by_client(
    gateway: GatewayFactory,
) -> None:
    client = await gateway(supergraph_sdl("multiple_keys"), multiple())
    response = await client.query("{ users { email balance } }")
    assert response == {
        "data": {
            "users": [
                {"email": "ada@x", "balance": 12.5},
                {"email": "grace@x", "balance": 0.0},
                {"email": "ada@x", "balance": 12.5},
            ]
        }
    }


def unresolvable() -> dict[str, Subgraph]:
    fixture = "key_resolvable_false"
    return {
        "accounts": Subgraph(
            fixture_sdl(fixture, "accounts"),
            query={"user": lambda _, id: {"__typename": "User", "id": id, "name": "U"}},
            entities={"User": [{"id": "7", "name": "Linus"}]},
        ),
        "reviews": Subgraph(
            fixture_sdl(fixture, "reviews"),
            query={
                "latestReviews": [
                    {"id": "r1", "author": {"__typename": "User", "id": "7"}},
                    {"id": "r2", "author": None},
                ]
            },
        ),
    }


RESOLVABLE_FALSE_CASES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "a stub entity jumps to the subgraph that can resolve it",
        "{ latestReviews { id author { id name } } }",
        {
            "data": {
                "latestReviews": [
                    {"id": "r1", "author": {"id": "7", "name": "Linus"}},
                    {"id": "r2", "author": None},
                ]
            }
        },
    ),
    (
        "the key alone needs no jump",
        "{ latestReviews { author { id } } }",
        {"data": {"latestReviews": [{"author": {"id": "7"}}, {"author": None}]}},
    ),
    (
        "the resolvable subgraph answers its own root field",
        '{ user(id: "3") { id name } }',
        {"data": {"user": {"id": "3", "name": "U"}}},
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [c[1:] for c in RESOLVABLE_FALSE_CASES],
    ids=[c[0] for c in RESOLVABLE_FALSE_CASES],
)
async def test_resolvable_false_key(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    client = await gateway(supergraph_sdl("key_resolvable_false"), unresolvable())
    assert await client.query(query) == expected


LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", '
    'import: ["@key"])\n'
)
CHAIN = {
    "a": LINK
    + """
type Query { bookContainers: [BookContainer] }
type BookContainer { book: Book }
type Book @key(fields: "upc") { upc: ID! }
""",
    "b": LINK
    + """
type Book @key(fields: "id") @key(fields: "upc") { id: ID! upc: ID! }
""",
    "c": LINK
    + """
type Book @key(fields: "id") { id: ID! author: Author }
type Author { id: ID! name: String }
""",
}


async def test_an_object_without_its_key_is_not_sent_and_its_fields_are_null(
    gateway: GatewayFactory,
) -> None:
    result = compose(
        [
            SubgraphDefinition(name, f"http://{name}.example/graphql", sdl)
            for name, sdl in CHAIN.items()
        ]
    )
    assert result.supergraph_sdl is not None, result.errors
    books = [("1", "b1", "Alice"), ("2", "b2", "Bob"), ("3", "b3", "Jack")]
    graph = {
        "a": Subgraph(
            CHAIN["a"],
            query={
                "bookContainers": [
                    {"book": {"__typename": "Book", "upc": upc}} for _, upc, _ in books
                ]
            },
        ),
        # b knows no id for b3: the jump on to c is impossible for that book.
        "b": Subgraph(
            CHAIN["b"],
            entities={"Book": [{"id": i, "upc": u} for i, u, _ in books if i != "3"]},
        ),
        "c": Subgraph(
            CHAIN["c"],
            entities={
                "Book": [
                    {"id": i, "author": {"id": f"a{i}", "name": n}} for i, _, n in books
                ]
            },
        ),
    }
    client = await gateway(result.supergraph_sdl, graph)
    response = await client.query("{ bookContainers { book { upc author { name } } } }")
    assert response == {
        "data": {
            "bookContainers": [
                {"book": {"upc": "b1", "author": {"name": "Alice"}}},
                {"book": {"upc": "b2", "author": {"name": "Bob"}}},
                {"book": {"upc": "b3", "author": None}},
            ]
        }
    }
    (request,) = graph["c"].requests
    assert request["variables"]["representations"] == [
        {"__typename": "Book", "id": "1"},
        {"__typename": "Book", "id": "2"},
    ]
