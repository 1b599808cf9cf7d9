"""Audit suite `parent-entity-call-complex`: a shareable object field whose
subfields come from two subgraphs (one without a key for the child type), plus a
key jump from the child to a third; both parent entity calls run in parallel.
The audit's subgraphs `b` and `d` are not in our copy and are reconstructed from
its plan."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.audit.conftest import Case, link, run_case
from tests.conformance.harness import Subgraph

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

SDLS = {
    "a": link("2.3", "@key", "@external", "@shareable")
    + """
type Product @key(fields: "id") { id: ID @external category: Category @shareable }
type Category { details: String }
""",
    "b": link("2.3", "@key", "@shareable")
    + """
type Product @key(fields: "id") { id: ID category: Category @shareable }
type Category @key(fields: "id") { id: ID }
""",
    "c": link("2.3", "@key")
    + """
type Category @key(fields: "id") { id: ID name: String }
""",
    "d": link("2.3", "@key")
    + """
type Query { productFromD(id: ID): Product }
type Product @key(fields: "id") { id: ID name: String }
""",
}


def subgraphs() -> dict[str, Subgraph]:
    return {
        "a": Subgraph(
            SDLS["a"],
            entities={
                "Product": lambda rep: {
                    "category": {"details": f"Details for Product#{rep['id']}"}
                }
            },
        ),
        "b": Subgraph(
            SDLS["b"],
            entities={
                "Product": lambda rep: {
                    "category": {"__typename": "Category", "id": "3"}
                },
                "Category": lambda rep: {},
            },
        ),
        "c": Subgraph(
            SDLS["c"],
            entities={"Category": lambda rep: {"name": f"Category#{rep['id']}"}},
        ),
        "d": Subgraph(
            SDLS["d"],
            query={
                "productFromD": lambda parent, id: {
                    "__typename": "Product",
                    "id": id,
                    "name": f"Product#{id}",
                }
            },
            entities={"Product": lambda rep: {"name": f"Product#{rep['id']}"}},
        ),
    }


CASES: list[Case] = [
    (
        "a child's fields from two parent entity calls and a key jump",
        '{ productFromD(id: "1") { id name category { id name details } } }',
        {
            "data": {
                "productFromD": {
                    "id": "1",
                    "name": "Product#1",
                    "category": {
                        "id": "3",
                        "name": "Category#3",
                        "details": "Details for Product#1",
                    },
                }
            }
        },
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_parent_entity_call_complex(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
