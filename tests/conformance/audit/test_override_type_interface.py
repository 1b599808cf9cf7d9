"""Audit suite `override-type-interface`: an implementation's field overridden into
another subgraph, selected through an interface the overriding subgraph does not
implement there; the overridden subgraph must never answer it."""

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
interface Post { id: ID! createdAt: String! }
type ImagePost implements Post @key(fields: "id") { id: ID! createdAt: String! }
type Query { feed: [Post] }
""",
    "b": link("2.3", "@key", "@shareable", "@override")
    + """
interface Post { id: ID! createdAt: String! }
type TextPost implements Post @key(fields: "id") {
  id: ID! createdAt: String! body: String!
}
interface AnotherPost { id: ID! createdAt: String! }
type ImagePost implements AnotherPost @key(fields: "id") {
  id: ID!
  createdAt: String! @override(from: "a")
}
type Query { anotherFeed: [AnotherPost] }
""",
}

IMAGES = [
    {"__typename": "ImagePost", "id": id, "createdAt": f"{id}-createdAt"}
    for id in ("i1", "i2")
]
TEXTS = [
    {
        "__typename": "TextPost",
        "id": id,
        "createdAt": f"{id}-createdAt",
        "body": f"{id}-body",
    }
    for id in ("t1", "t2")
]


def subgraphs() -> dict[str, Subgraph]:
    # `a` still has a resolver for the overridden field: it must not be used.
    stale = [{**post, "createdAt": "NEVER"} for post in IMAGES]
    return {
        "a": Subgraph(SDLS["a"], query={"feed": stale}, entities={"ImagePost": stale}),
        "b": Subgraph(
            SDLS["b"],
            query={"anotherFeed": IMAGES},
            entities={"ImagePost": IMAGES, "TextPost": TEXTS},
        ),
    }


CASES: list[Case] = [
    (
        "an overridden field of an implementation comes from the overriding subgraph",
        "{ feed { id createdAt } }",
        {
            "data": {
                "feed": [
                    {"id": "i1", "createdAt": "i1-createdAt"},
                    {"id": "i2", "createdAt": "i2-createdAt"},
                ]
            }
        },
    ),
    (
        "a fragment on a type the root's subgraph never returns selects nothing",
        "{ feed { ... on TextPost { id body } } }",
        {"data": {"feed": [{}, {}]}},
    ),
    (
        "the overriding subgraph's own interface",
        "{ anotherFeed { createdAt } }",
        {
            "data": {
                "anotherFeed": [
                    {"createdAt": "i1-createdAt"},
                    {"createdAt": "i2-createdAt"},
                ]
            }
        },
    ),
    (
        "the same fields through the interface and the implementation",
        "{ anotherFeed { createdAt id ... on ImagePost { createdAt id } } }",
        {
            "data": {
                "anotherFeed": [
                    {"createdAt": "i1-createdAt", "id": "i1"},
                    {"createdAt": "i2-createdAt", "id": "i2"},
                ]
            }
        },
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_override_type_interface(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
