"""Audit suite `requires-interface`: @requires of an interface-typed field
(`address { id }`, `address { ... on WorkAddress { id } }`) whose implementations
differ between subgraphs. The audit's second subgraph is reconstructed from its
test plans (it owns `User.address` and adds an implementation of its own)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.audit.conftest import Case, link, run_case
from tests.conformance.harness import Subgraph

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

SDLS = {
    "a": link("2.3", "@key", "@requires", "@external", "@shareable")
    + """
type Query { a: User }
interface Address { id: ID! }
type HomeAddress implements Address @key(fields: "id") {
  id: ID! city: String @shareable
}
type WorkAddress implements Address @key(fields: "id") {
  id: ID! city: String @shareable
}
type User @key(fields: "id") {
  id: ID!
  name: String! @shareable
  address: Address @external
  city: String @requires(fields: "address { id }")
  country: String @requires(fields: "address { ... on WorkAddress { id } }")
}
""",
    "b": link("2.3", "@key", "@shareable")
    + """
type Query { b: User }
interface Address { id: ID! }
type HomeAddress implements Address @key(fields: "id") {
  id: ID! city: String @shareable
}
type WorkAddress implements Address @key(fields: "id") {
  id: ID! city: String @shareable
}
type SecondAddress implements Address @key(fields: "id") {
  id: ID! city: String @shareable
}
type User @key(fields: "id") { id: ID! name: String! @shareable address: Address }
""",
}

ADDRESSES = {
    "a1": {"__typename": "HomeAddress", "id": "a1", "city": "a1-city"},
    "a2": {
        "__typename": "WorkAddress",
        "id": "a2",
        "city": "a2-city",
        "country": "a2-country",
    },
}
USERS = {"u1": ("u1-name", "a1"), "u2": ("u2-name", "a2")}


def address_field(name: str) -> Any:
    def resolve(user: dict[str, Any]) -> str | None:
        address = user.get("address") or {}
        return ADDRESSES.get(address.get("id"), {}).get(name)

    return resolve


def in_a(id: str) -> dict[str, Any]:
    return {
        "__typename": "User",
        "id": id,
        "name": USERS[id][0],
        "city": address_field("city"),
        "country": address_field("country"),
    }


def in_b(id: str) -> dict[str, Any]:
    name, address = USERS[id]
    return {"__typename": "User", "id": id, "name": name, "address": ADDRESSES[address]}


def subgraphs() -> dict[str, Subgraph]:
    return {
        "a": Subgraph(
            SDLS["a"],
            query={"a": in_a("u1")},
            entities={"User": lambda rep: in_a(rep["id"])},
        ),
        "b": Subgraph(
            SDLS["b"],
            query={"b": in_b("u2")},
            entities={"User": lambda rep: in_b(rep["id"])},
        ),
    }


CASES: list[Case] = [
    (
        "a requirement on the interface's own field is fetched from its owner",
        "{ a { city } }",
        {"data": {"a": {"city": "a1-city"}}},
    ),
    (
        "a requirement on an interface fetched together with the root",
        "{ b { city } }",
        {"data": {"b": {"city": "a2-city"}}},
    ),
    (
        "a requirement on an implementation the object is not yields null",
        "{ a { country } }",
        {"data": {"a": {"country": None}}},
    ),
    (
        "the interface field itself after a jump",
        "{ a { address { __typename id } } }",
        {"data": {"a": {"address": {"__typename": "HomeAddress", "id": "a1"}}}},
    ),
    (
        "the interface field itself from the root subgraph",
        "{ b { address { __typename id } } }",
        {"data": {"b": {"address": {"__typename": "WorkAddress", "id": "a2"}}}},
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_requires_interface(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
