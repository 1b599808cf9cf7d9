"""Audit suite `simple-interface-object`: entity interfaces (NodeWithName, Account)
extended by @interfaceObject subgraphs, selected through the interface and
through fragments on implementations, whose real `__typename` only the interface's
owner knows. The audit's subgraph `b` is not in our copy and is reconstructed
from the plans of its test (both interface objects, their root fields)."""

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
type Query { users: [NodeWithName!]! }
interface NodeWithName @key(fields: "id") { id: ID! name: String }
type User implements NodeWithName @key(fields: "id") { id: ID! name: String age: Int }
interface Account @key(fields: "id") { id: ID! }
type Admin implements Account @key(fields: "id") {
  id: ID! isMain: Boolean! isActive: Boolean! @shareable
}
type Regular implements Account @key(fields: "id") { id: ID! isMain: Boolean! }
""",
    "b": link("2.3", "@key", "@interfaceObject")
    + """
type Query { anotherUsers: [NodeWithName] accounts: [Account] }
type NodeWithName @key(fields: "id") @interfaceObject { id: ID! username: String }
type Account @key(fields: "id") @interfaceObject { id: ID! name: String }
""",
    "c": link("2.3", "@key", "@interfaceObject", "@shareable")
    + """
type Account @key(fields: "id") @interfaceObject {
  id: ID! isActive: Boolean! @shareable
}
""",
}

USERS = {"u1": 11, "u2": 22}
ACCOUNTS = {
    "u1": ("Admin", "Alice", True),
    "u2": ("Admin", "Bob", True),
    "u3": ("Regular", "Charlie", False),
}


def user(id: str) -> dict[str, Any]:
    return {"__typename": "User", "id": id, "name": f"{id}-name", "age": USERS[id]}


def account_in_a(id: str) -> dict[str, Any]:
    kind, _, main = ACCOUNTS[id]
    record = {"__typename": kind, "id": id, "isMain": main}
    if kind == "Admin":
        record["isActive"] = True
    return record


def subgraphs() -> dict[str, Subgraph]:
    def username(rep: dict[str, Any]) -> dict[str, Any]:
        return {"username": f"{rep['id']}-username"}

    return {
        "a": Subgraph(
            SDLS["a"],
            query={"users": [user(id) for id in USERS]},
            entities={
                "NodeWithName": lambda rep: user(rep["id"]),
                "User": lambda rep: user(rep["id"]),
                "Account": lambda rep: account_in_a(rep["id"]),
                "Admin": lambda rep: account_in_a(rep["id"]),
                "Regular": lambda rep: account_in_a(rep["id"]),
            },
        ),
        "b": Subgraph(
            SDLS["b"],
            query={
                "anotherUsers": [
                    {"__typename": "NodeWithName", "id": id, **username({"id": id})}
                    for id in USERS
                ],
                "accounts": [
                    {"__typename": "Account", "id": id, "name": a[1]}
                    for id, a in ACCOUNTS.items()
                ],
            },
            entities={
                "NodeWithName": username,
                "Account": lambda rep: {"name": ACCOUNTS[rep["id"]][1]},
            },
        ),
        # `c` says every account is inactive: only asked where `a` cannot answer.
        "c": Subgraph(SDLS["c"], entities={"Account": lambda rep: {"isActive": False}}),
    }


USERS_ANSWER = [
    {"id": "u1", "name": "u1-name", "username": "u1-username"},
    {"id": "u2", "name": "u2-name", "username": "u2-username"},
]
USERS_ALL = [{"age": 11, **USERS_ANSWER[0]}, {"age": 22, **USERS_ANSWER[1]}]
CASES: list[Case] = [
    (
        "an interface object's root, a field from the interface's owner",
        "{ anotherUsers { id name username } }",
        {"data": {"anotherUsers": USERS_ANSWER}},
    ),
    (
        "the owner's root, a field from the interface object",
        "{ users { id name username } }",
        {"data": {"users": USERS_ANSWER}},
    ),
    (
        "an implementation's field from an interface object's root",
        "{ anotherUsers { ... on User { age } } }",
        {"data": {"anotherUsers": [{"age": 11}, {"age": 22}]}},
    ),
    (
        "an implementation's field from the owner's root",
        "{ users { ... on User { age } } }",
        {"data": {"users": [{"age": 11}, {"age": 22}]}},
    ),
    (
        "fields in and outside a fragment, from the interface object's root",
        "{ anotherUsers { ... on User { age id name username } id name } }",
        {"data": {"anotherUsers": USERS_ALL}},
    ),
    (
        "fields in and outside a fragment, from the owner's root",
        "{ users { ... on User { age id name username } id name } }",
        {"data": {"users": USERS_ALL}},
    ),
    (
        "a field of the interface object alone",
        "{ accounts { name } }",
        {
            "data": {
                "accounts": [{"name": "Alice"}, {"name": "Bob"}, {"name": "Charlie"}]
            }
        },
    ),
    (
        "an interface object's field under an implementation's fragment",
        "{ accounts { ... on Admin { name } } }",
        {"data": {"accounts": [{"name": "Alice"}, {"name": "Bob"}, {}]}},
    ),
    (
        "the real __typename of interface object values",
        "{ accounts { name __typename } }",
        {
            "data": {
                "accounts": [
                    {"name": "Alice", "__typename": "Admin"},
                    {"name": "Bob", "__typename": "Admin"},
                    {"name": "Charlie", "__typename": "Regular"},
                ]
            }
        },
    ),
    (
        "__typename under an implementation's fragment",
        "{ accounts { ... on Admin { __typename } } }",
        {"data": {"accounts": [{"__typename": "Admin"}, {"__typename": "Admin"}, {}]}},
    ),
    (
        "a field of another interface object for every implementation",
        "{ accounts { id isActive } }",
        {
            "data": {
                "accounts": [
                    {"id": "u1", "isActive": False},
                    {"id": "u2", "isActive": False},
                    {"id": "u3", "isActive": False},
                ]
            }
        },
    ),
    (
        "the same field under an implementation comes from the implementation",
        "{ accounts { id ... on Admin { isActive } } }",
        {
            "data": {
                "accounts": [
                    {"id": "u1", "isActive": True},
                    {"id": "u2", "isActive": True},
                    {"id": "u3"},
                ]
            }
        },
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_simple_interface_object(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
