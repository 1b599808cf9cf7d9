"""Audit suite `child-type-mismatch`: union members whose same-named fields have
different nullability in one subgraph (`User.name: String!`, `Admin.name:
String`) though not in the supergraph (`b` has `User.name: String`), selected side
by side in fragments; the subgraph operation must stay valid there (fields that
cannot merge need an internal alias). The audit's subgraphs are not in our copy
and are reconstructed from the test's name and queries."""

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
type Query { users: [User!]! accounts: [Account!]! }
union Account = User | Admin
type User @key(fields: "id") {
  id: ID! name: String! @shareable similarAccounts: [Account!]!
}
type Admin { id: ID! name: String similarAccounts: [Account!]! }
""",
    "b": link("2.3", "@key", "@shareable")
    + """
type User @key(fields: "id") { id: ID! name: String @shareable }
""",
}


def account(kind: str, id: str) -> dict[str, Any]:
    return {
        "__typename": kind,
        "id": id,
        "name": f"{id}-name",
        "similarAccounts": lambda parent: accounts(),
    }


def accounts() -> list[dict[str, Any]]:
    return [account("User", "u1"), account("Admin", "a1")]


def subgraphs() -> dict[str, Subgraph]:
    return {
        "a": Subgraph(
            SDLS["a"],
            query={"users": [account("User", "u1")], "accounts": accounts()},
            entities={"User": lambda rep: account("User", rep["id"])},
        ),
        "b": Subgraph(SDLS["b"], entities={"User": [{"id": "u1", "name": "u1-name"}]}),
    }


U1 = {"id": "u1", "name": "u1-name"}
A1 = {"id": "a1", "name": "a1-name"}
NAMES = [{"name": "u1-name"}, {"name": "a1-name"}]
NAME_ONLY = "... on User { name } ... on Admin { name }"
NAMED = (
    f"... on User {{ name similarAccounts {{ {NAME_ONLY} }} }}"
    f" ... on Admin {{ name similarAccounts {{ {NAME_ONLY} }} }}"
)
NAMES_TWICE = [{**n, "similarAccounts": NAMES} for n in NAMES]
BOTH = "... on User { id name } ... on Admin { id name }"
CASES: list[Case] = [
    (
        "the same fields of two members with different nullability",
        f"{{ users {{ id name }} accounts {{ {BOTH} }} }}",
        {"data": {"users": [U1], "accounts": [U1, A1]}},
    ),
    (
        "the same, one level down",
        f"""query NestedInternalAlias {{ users {{ id name }} accounts {{
          ... on User {{ id name similarAccounts {{ {BOTH} }} }}
          ... on Admin {{ id name similarAccounts {{ {BOTH} }} }} }} }}""",
        {
            "data": {
                "users": [U1],
                "accounts": [
                    {**U1, "similarAccounts": [U1, A1]},
                    {**A1, "similarAccounts": [U1, A1]},
                ],
            }
        },
    ),
    (
        "the same, two levels down, names only",
        "query DeeplyNested { accounts { "
        + f"... on User {{ name similarAccounts {{ {NAMED} }} }} "
        + f"... on Admin {{ name similarAccounts {{ {NAMED} }} }} "
        + "} }",
        {
            "data": {
                "accounts": [
                    {"name": "u1-name", "similarAccounts": NAMES_TWICE},
                    {"name": "a1-name", "similarAccounts": NAMES_TWICE},
                ]
            }
        },
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_child_type_mismatch(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
