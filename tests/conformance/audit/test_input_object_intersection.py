"""Audit suite `input-object-intersection`: an input type defined differently in two
subgraphs keeps only the fields both define, so a field only one accepts is a
validation error at the gateway, whichever subgraph the root field lives in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.audit.conftest import Case, link, run_case
from tests.conformance.harness import Subgraph

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

SDLS = {
    "a": link("2.3", "@key", "@shareable")
    + """
input UsersFilter { first: Int! }
type User @key(fields: "id") { id: ID! name: String! @shareable }
type Query { usersInA(filter: UsersFilter!): [User!] }
""",
    "b": link("2.3", "@key", "@shareable")
    + """
input UsersFilter { offset: Int first: Int! }
type User @key(fields: "id") { id: ID! name: String! @shareable }
type Query { usersInB(filter: UsersFilter!): [User!] }
""",
}

USERS = [{"id": "u1", "name": "u1-name"}, {"id": "u2", "name": "u2-name"}]


def users(parent: Any, filter: dict[str, Any]) -> list[dict[str, Any]]:
    return [] if "offset" in filter else USERS


def subgraphs() -> dict[str, Subgraph]:
    return {
        "a": Subgraph(SDLS["a"], query={"usersInA": users}, entities={"User": USERS}),
        "b": Subgraph(SDLS["b"], query={"usersInB": users}, entities={"User": USERS}),
    }


def unknown_offset(column: int) -> dict[str, Any]:
    return {
        "errors": [
            {
                "message": (
                    "Expected value of type 'UsersFilter' not to include unknown"
                    " field 'offset', found: { first: 1, offset: 2 }."
                ),
                "locations": [{"line": 1, "column": column}],
                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
            }
        ]
    }


CASES: list[Case] = [
    (
        "the field both subgraphs define is accepted",
        "{ usersInA(filter: { first: 1 }) { id } }",
        {"data": {"usersInA": [{"id": "u1"}, {"id": "u2"}]}},
    ),
    (
        "a field the root's own subgraph lacks is rejected",
        "{ usersInA(filter: { first: 1, offset: 2 }) { id } }",
        unknown_offset(32),
    ),
    (
        "a field only the root's own subgraph defines is rejected too",
        "{ usersInB(filter: { first: 1, offset: 2 }) { id } }",
        unknown_offset(32),
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_input_object_intersection(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
