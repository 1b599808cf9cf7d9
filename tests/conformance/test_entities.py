"""Entity jumps via @key: fields of one object fetched from several subgraphs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.harness import Subgraph, fixture_sdl, supergraph_sdl

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

FIXTURE = "entity_across_subgraphs"


def subgraphs() -> dict[str, Subgraph]:
    return {
        "accounts": Subgraph(
            fixture_sdl(FIXTURE, "accounts"),
            query={"me": {"__typename": "User", "id": "1", "name": "Ada"}},
            entities={
                "User": [{"id": "1", "name": "Ada"}, {"id": "2", "name": "Grace"}]
            },
        ),
        "reviews": Subgraph(
            fixture_sdl(FIXTURE, "reviews"),
            entities={
                "User": [
                    {
                        "id": "1",
                        "reviews": [
                            {"body": "Lovely", "rating": 5},
                            {"body": "Meh", "rating": None},
                        ],
                    },
                    {"id": "2", "reviews": []},
                ]
            },
        ),
    }


CASES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "fields from the owning subgraph only",
        "{ me { id name } }",
        {"data": {"me": {"id": "1", "name": "Ada"}}},
    ),
    (
        "a field behind an entity jump",
        "{ me { name reviews { body rating } } }",
        {
            "data": {
                "me": {
                    "name": "Ada",
                    "reviews": [
                        {"body": "Lovely", "rating": 5},
                        {"body": "Meh", "rating": None},
                    ],
                }
            }
        },
    ),
    (
        "only the jumped-to fields, in the client's order",
        "{ me { reviews { rating body } id } }",
        {
            "data": {
                "me": {
                    "reviews": [
                        {"rating": 5, "body": "Lovely"},
                        {"rating": None, "body": "Meh"},
                    ],
                    "id": "1",
                }
            }
        },
    ),
    (
        "aliases on both sides of the jump",
        "{ viewer: me { who: name posts: reviews { text: body } } }",
        {
            "data": {
                "viewer": {
                    "who": "Ada",
                    "posts": [{"text": "Lovely"}, {"text": "Meh"}],
                }
            }
        },
    ),
    (
        "a client alias that clashes with the key field the jump needs",
        "{ me { id: name reviews { rating } } }",
        {"data": {"me": {"id": "Ada", "reviews": [{"rating": 5}, {"rating": None}]}}},
    ),
    (
        "the key field aliased by the client",
        "{ me { key: id reviews { rating } } }",
        {"data": {"me": {"key": "1", "reviews": [{"rating": 5}, {"rating": None}]}}},
    ),
    (
        "__typename on the entity and the value type",
        "{ me { __typename reviews { __typename } } }",
        {
            "data": {
                "me": {
                    "__typename": "User",
                    "reviews": [{"__typename": "Review"}, {"__typename": "Review"}],
                }
            }
        },
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_entity_jump(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    client = await gateway(supergraph_sdl(FIXTURE), subgraphs())
    assert await client.query(query) == expected


async def test_entity_the_subgraph_cannot_find_leaves_its_fields_null(
    gateway: GatewayFactory,
) -> None:
    graph = subgraphs()
    graph["accounts"].query["me"] = {"__typename": "User", "id": "9", "name": "Nobody"}
    client = await gateway(supergraph_sdl(FIXTURE), graph)
    response = await client.query("{ me { name reviews { body } } }")
    assert response == {
        "errors": [
            {
                "message": "Cannot return null for non-nullable field User.reviews.",
                "path": ["me", "reviews"],
                "extensions": {"code": "NON_NULLABLE_FIELD_IS_NULL"},
            }
        ],
        "data": {"me": None},
    }
