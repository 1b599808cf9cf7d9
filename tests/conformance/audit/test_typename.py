"""Audit suite `typename`: `__typename` under aliases and in fragments on unions and
interfaces, and on an interface whose implementations another subgraph knows.
The audit's subgraphs are not in our copy and are reconstructed from its
queries and answers."""

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
type Query { union: Product interface: Node users: [User] }
union Product = Oven | Toaster
interface Node { id: ID! }
type Oven implements Node { id: ID! }
type Toaster implements Node { id: ID! }
interface User { id: ID! }
type Admin implements User @key(fields: "id") { id: ID! }
""",
    "b": link("2.3", "@key")
    + """
type Admin @key(fields: "id") { id: ID! name: String }
""",
}


def subgraphs() -> dict[str, Subgraph]:
    admins = [{"__typename": "Admin", "id": id} for id in ("u1", "u2")]
    return {
        "a": Subgraph(
            SDLS["a"],
            query={
                "union": {"__typename": "Oven", "id": "1"},
                "interface": {"__typename": "Toaster", "id": "2"},
                "users": admins,
            },
            entities={"Admin": admins},
        ),
        "b": Subgraph(SDLS["b"], entities={"Admin": admins}),
    }


CASES: list[Case] = [
    (
        "__typename of a union, twice under an alias",
        "{ union { __typename typename: __typename } }",
        {"data": {"union": {"__typename": "Oven", "typename": "Oven"}}},
    ),
    (
        "__typename of an interface under several aliases",
        "{ interface { id __typename typename: __typename t: __typename } }",
        {
            "data": {
                "interface": {
                    "id": "2",
                    "__typename": "Toaster",
                    "typename": "Toaster",
                    "t": "Toaster",
                }
            }
        },
    ),
    (
        "an aliased __typename in fragments on union members",
        """{ union { __typename ... on Oven { typename: __typename }
          ... on Toaster { typename: __typename } } }""",
        {"data": {"union": {"__typename": "Oven", "typename": "Oven"}}},
    ),
    (
        "an aliased __typename in fragments on implementations",
        """{ interface { __typename ... on Oven { typename: __typename }
          ... on Toaster { typename: __typename } } }""",
        {"data": {"interface": {"__typename": "Toaster", "typename": "Toaster"}}},
    ),
    (
        "an interface field of entities",
        "{ users { id } }",
        {"data": {"users": [{"id": "u1"}, {"id": "u2"}]}},
    ),
    (
        "the __typename of entities behind an interface",
        "{ users { __typename } }",
        {"data": {"users": [{"__typename": "Admin"}, {"__typename": "Admin"}]}},
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_typename(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
