"""Audit suite `null-keys`: an entity whose only path to another key is a subgraph
that returns null for it; the fields behind that jump become null, without errors."""

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
type Query { bookContainers: [BookContainer] }
type BookContainer { book: Book }
type Book @key(fields: "upc") { upc: ID! }
""",
    "b": link("2.3", "@key")
    + """
type Book @key(fields: "id") @key(fields: "upc") { id: ID! upc: ID! }
""",
    "c": link("2.3", "@key")
    + """
type Book @key(fields: "id") { id: ID! author: Author }
type Author { id: ID! name: String }
""",
}

BOOKS = [
    {"id": "1", "upc": "b1", "author": {"id": "a1", "name": "Alice"}},
    {"id": "2", "upc": "b2", "author": {"id": "a2", "name": "Bob"}},
    {"id": "3", "upc": "b3", "author": {"id": "a3", "name": "Jack"}},
]


def subgraphs() -> dict[str, Subgraph]:
    return {
        "a": Subgraph(
            SDLS["a"],
            query={"bookContainers": [{"book": {"upc": b["upc"]}} for b in BOOKS]},
        ),
        # `b` knows only the first two books: it resolves the third to null.
        "b": Subgraph(
            SDLS["b"],
            entities={"Book": [{"id": b["id"], "upc": b["upc"]} for b in BOOKS[:2]]},
        ),
        "c": Subgraph(
            SDLS["c"],
            entities={"Book": [{"id": b["id"], "author": b["author"]} for b in BOOKS]},
        ),
    }


CASES: list[Case] = [
    (
        "a key no subgraph could supply leaves the fields behind it null",
        "{ bookContainers { book { upc author { name } } } }",
        {
            "data": {
                "bookContainers": [
                    {"book": {"upc": "b1", "author": {"name": "Alice"}}},
                    {"book": {"upc": "b2", "author": {"name": "Bob"}}},
                    {"book": {"upc": "b3", "author": None}},
                ]
            }
        },
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_null_keys(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
