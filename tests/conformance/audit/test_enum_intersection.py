"""Audit suite `enum-intersection`: an enum value @inaccessible in the supergraph,
returned by one subgraph (a field error, the value is not in the API schema),
absent from the other subgraph's answer, and rejected as an argument. The
audit's subgraphs are not in our copy; they are reconstructed from its queries
and answers so that the reference composer accepts them (an enum used as input
and output must have the same values everywhere)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.audit.conftest import Case, link, run_case
from tests.conformance.harness import Subgraph

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

SDLS = {
    "a": link("2.3", "@key", "@shareable", "@inaccessible")
    + """
type Query { users: [User] usersByType(type: UserType!): [User] }
type User @key(fields: "id") { id: ID! type: UserType @shareable }
enum UserType { ANONYMOUS @inaccessible REGULAR }
""",
    "b": link("2.3", "@key", "@shareable")
    + """
type Query { usersB: [User] }
type User @key(fields: "id") { id: ID! type: UserType @shareable }
enum UserType { ANONYMOUS REGULAR }
""",
}

USERS = [{"id": "u1", "type": "REGULAR"}, {"id": "u2", "type": "ANONYMOUS"}]


def subgraphs() -> dict[str, Subgraph]:
    def by_type(parent: Any, type: str) -> list[dict[str, Any]]:
        return [u for u in USERS if u["type"] == type]

    # `b` does not tell anonymous users' type.
    in_b = [u if u["type"] == "REGULAR" else {**u, "type": None} for u in USERS]
    return {
        "a": Subgraph(
            SDLS["a"],
            query={"users": USERS, "usersByType": by_type},
            entities={"User": USERS},
        ),
        "b": Subgraph(SDLS["b"], query={"usersB": in_b}, entities={"User": in_b}),
    }


CASES: list[Case] = [
    (
        "objects whose enum field is not selected",
        "{ users { id } }",
        {"data": {"users": [{"id": "u1"}, {"id": "u2"}]}},
    ),
    (
        "an inaccessible enum value returned is a field error",
        "{ users { id type } }",
        {
            "data": {
                "users": [{"id": "u1", "type": "REGULAR"}, {"id": "u2", "type": None}]
            },
            "errors": [
                {
                    "message": 'Enum "UserType" cannot represent value: "ANONYMOUS"',
                    "path": ["users", 1, "type"],
                    "extensions": {"code": "INTERNAL_SERVER_ERROR"},
                }
            ],
        },
    ),
    (
        "the other subgraph's root with the shareable enum field",
        "{ usersB { id type } }",
        {
            "data": {
                "usersB": [{"id": "u1", "type": "REGULAR"}, {"id": "u2", "type": None}]
            }
        },
    ),
    (
        "an accessible enum value as an argument",
        "{ usersByType(type: REGULAR) { id type } }",
        {"data": {"usersByType": [{"id": "u1", "type": "REGULAR"}]}},
    ),
    (
        "an inaccessible enum value as an argument is a validation error",
        "{ usersByType(type: ANONYMOUS) { id type } }",
        {
            "errors": [
                {
                    "message": "Value 'ANONYMOUS' does not exist in 'UserType' enum.",
                    "locations": [{"line": 1, "column": 21}],
                    "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
                }
            ]
        },
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_enum_intersection(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
