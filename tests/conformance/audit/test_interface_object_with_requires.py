"""Audit suite `interface-object-with-requires`: an @interfaceObject subgraph with a
@requires field whose requirement lives on the interface's implementations in
the subgraph owning the entity interface. The audit's subgraph `a` is not in our
copy and is reconstructed from the queries (entity interface NodeWithName, its
implementation User with `age`)."""

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
type Query { users: [NodeWithName] }
interface NodeWithName @key(fields: "id") { id: ID! name: String }
type User implements NodeWithName @key(fields: "id") { id: ID! name: String age: Int }
""",
    "b": link("2.3", "@key", "@interfaceObject", "@external", "@requires")
    + """
type Query { anotherUsers: [NodeWithName] }
type NodeWithName @key(fields: "id") @interfaceObject {
  id: ID!
  name: String @external
  username: String @requires(fields: "name")
}
""",
}

USERS = {"u1": ("u1-name", "u1-username", 11), "u2": ("u2-name", "u2-username", 22)}


def user(id: str) -> dict[str, Any]:
    name, _, age = USERS[id]
    return {"__typename": "User", "id": id, "name": name, "age": age}


def username(node: dict[str, Any]) -> str:
    if not node.get("name"):
        raise ValueError("Requires field 'name' not provided")
    return USERS[node["id"]][1]


def subgraphs() -> dict[str, Subgraph]:
    return {
        "a": Subgraph(
            SDLS["a"],
            query={"users": [user(id) for id in USERS]},
            entities={
                "User": lambda rep: user(rep["id"]),
                "NodeWithName": lambda rep: user(rep["id"]),
            },
        ),
        "b": Subgraph(
            SDLS["b"],
            query={
                "anotherUsers": [
                    {"__typename": "NodeWithName", "id": id, "username": username}
                    for id in USERS
                ]
            },
            entities={"NodeWithName": lambda rep: {"username": username}},
        ),
    }


BOTH = [
    {"id": "u1", "name": "u1-name", "username": "u1-username"},
    {"id": "u2", "name": "u2-name", "username": "u2-username"},
]
AGES = [{"age": 11}, {"age": 22}]
ALL = [{"age": 11, **BOTH[0]}, {"age": 22, **BOTH[1]}]
CASES: list[Case] = [
    (
        "from the interface object, a requirement fetched from the interface owner",
        "{ anotherUsers { id name username } }",
        {"data": {"anotherUsers": BOTH}},
    ),
    (
        "from the interface owner, a field of the interface object with requires",
        "{ users { id name username } }",
        {"data": {"users": BOTH}},
    ),
    (
        "from the interface object, a field of one implementation",
        "{ anotherUsers { ... on User { age } } }",
        {"data": {"anotherUsers": AGES}},
    ),
    (
        "from the interface owner, a field of one implementation",
        "{ users { ... on User { age } } }",
        {"data": {"users": AGES}},
    ),
    (
        "from the interface object, fields inside and outside a fragment",
        "{ anotherUsers { ... on User { age id name username } id name } }",
        {"data": {"anotherUsers": ALL}},
    ),
    (
        "from the interface owner, fields inside and outside a fragment",
        "{ users { ... on User { age id name username } id name } }",
        {"data": {"users": ALL}},
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_interface_object_with_requires(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
