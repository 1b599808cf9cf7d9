"""Audit suite `provides-on-union`: `@provides(fields: "... on Book { title }")` on a
union-typed shareable root field. The gateway must use the providing subgraph for
the root and the provided field; the audit's "poor plan" subgraphs fail here when
they are asked what the better plan does not need. Composed by our composer
(fixture tests/fixtures/composition/provides_on_union)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.audit.conftest import Case, link, run_case
from tests.conformance.harness import Subgraph

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

SDLS = {
    "a": link("2.3", "@key", "@shareable", "@external")
    + """
type Query { media: [Media] @shareable }
union Media = Book | Movie
type Book @key(fields: "id") { id: ID! }
type Movie @key(fields: "id") { id: ID! }
""",
    "b": link("2.3", "@key", "@shareable", "@provides", "@external")
    + """
type Query { media: [Media] @shareable @provides(fields: "... on Book { title }") }
union Media = Book | Movie
type Book @key(fields: "id") { id: ID! title: String @external }
type Movie @key(fields: "id") { id: ID! }
""",
    "c": link("2.3", "@key", "@shareable")
    + """
type Book @key(fields: "id") { id: ID! title: String @shareable }
type Movie @key(fields: "id") { id: ID! title: String @shareable }
""",
}

MEDIA = [
    {"__typename": "Book", "id": "m1", "title": "Book 1"},
    {"__typename": "Movie", "id": "m2", "title": "Movie 1"},
]


def poor_plan(message: str) -> Any:
    def refuse(*args: Any) -> Any:
        raise RuntimeError(message)

    return refuse


def subgraphs() -> dict[str, Subgraph]:
    return {
        "a": Subgraph(SDLS["a"], query={"media": poor_plan("'a' should not be used")}),
        "b": Subgraph(
            SDLS["b"],
            query={
                "media": [
                    m if m["__typename"] == "Book" else {**m, "title": None}
                    for m in MEDIA
                ]
            },
        ),
        "c": Subgraph(
            SDLS["c"],
            entities={
                "Book": poor_plan("'b' provides Book.title"),
                "Movie": [MEDIA[1]],
            },
        ),
    }


CASES: list[Case] = [
    (
        "a field provided on one union member needs no jump",
        "{ media { ... on Book { id title } ... on Movie { id } } }",
        {"data": {"media": [{"id": "m1", "title": "Book 1"}, {"id": "m2"}]}},
    ),
    (
        "the same field on the other member still jumps",
        "{ media { ... on Book { id title } ... on Movie { id title } } }",
        {
            "data": {
                "media": [
                    {"id": "m1", "title": "Book 1"},
                    {"id": "m2", "title": "Movie 1"},
                ]
            }
        },
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_provides_on_union(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
