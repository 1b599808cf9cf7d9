"""Audit suite `fed2-external-extends`: Federation 2 subgraphs, one
extending User with @extends and @external key and field, one @provides."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.audit.conftest import Case, link, run_case
from tests.conformance.harness import Subgraph

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

SDLS = {
    "a": link("2.3", "@key", "@external", "@extends", "@provides")
    + """
type Query { randomUser: User providedRandomUser: User @provides(fields: "name") }
type User @key(fields: "id") @extends {
  id: ID! @external
  name: String! @external
  rid: ID
}
""",
    "b": link("2.3", "@key", "@shareable")
    + """
type Query { userById(id: ID): User }
type User @key(fields: "id") { id: ID! name: String! @shareable nickname: String }
""",
}

USERS = {
    id: {
        "id": id,
        "rid": f"{id}-rid",
        "name": f"{id}-name",
        "nickname": f"{id}-nickname",
    }
    for id in ("u1", "u2")
}


def subgraphs() -> dict[str, Subgraph]:
    def in_a(id: str, *, provided: bool = False) -> dict[str, Any]:
        # Without the provided name, `a` would answer "never" for it.
        name = USERS[id]["name"] if provided else "never"
        return {"id": id, "rid": USERS[id]["rid"], "name": name}

    return {
        "a": Subgraph(
            SDLS["a"],
            query={
                "randomUser": in_a("u1"),
                "providedRandomUser": in_a("u1", provided=True),
            },
            entities={"User": lambda rep: in_a(rep["id"])},
        ),
        "b": Subgraph(
            SDLS["b"],
            query={"userById": lambda parent, id: USERS.get(id)},
            entities={"User": lambda rep: USERS.get(rep["id"])},
        ),
    }


CASES: list[Case] = [
    (
        "a provided external field needs no jump",
        "{ providedRandomUser { id name } }",
        {"data": {"providedRandomUser": {"id": "u1", "name": "u1-name"}}},
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_fed2_external_extends(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
