"""Audit suite `keys-mashup`: an entity with four keys (simple, composite, nested),
resolvable in different subgraphs by different keys, and a @requires between them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.audit.conftest import Case, link, run_case
from tests.conformance.harness import Subgraph

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

COMPOSITE = "type CompositeID { one: ID! two: ID! three: ID! }\n"
SDLS = {
    "a": link("2.5", "@key")
    + COMPOSITE
    + """
type A
  @key(fields: "id", resolvable: true)
  @key(fields: "pId", resolvable: false)
  @key(fields: "compositeId { one two }", resolvable: false)
  @key(fields: "id compositeId { two three }", resolvable: false) {
  id: ID!
  pId: ID!
  compositeId: CompositeID!
  name: String!
}
""",
    "b": link("2.5", "@key", "@requires", "@external")
    + COMPOSITE
    + """
type Query { b: B }
type B @key(fields: "id") { id: ID! a: [A!]! }
type A
  @key(fields: "compositeId { one two }", resolvable: false)
  @key(fields: "id compositeId { two three }", resolvable: true)
  @key(fields: "pId", resolvable: false)
  @key(fields: "id", resolvable: false) {
  id: ID!
  pId: ID!
  compositeId: CompositeID!
  name: String! @external
  nameInB: String! @requires(fields: "name")
}
""",
}


def a_record(id: str) -> dict[str, Any]:
    return {
        "__typename": "A",
        "id": id,
        "pId": f"a.{id}.pId",
        "name": f"a.{id}",
        "compositeId": {
            "one": f"a.{id}.compositeId.one",
            "two": f"a.{id}.compositeId.two",
            "three": f"a.{id}.compositeId.three",
        },
    }


def in_b(id: str) -> dict[str, Any]:
    """An A as `b` knows it: without the external `name`."""
    record = a_record(id)
    del record["name"]
    return {**record, "nameInB": lambda a: f"b.a.nameInB {a['name']}"}


B = {"100": ["1"], "200": ["1", "2"]}


def subgraphs() -> dict[str, Subgraph]:
    return {
        "a": Subgraph(SDLS["a"], entities={"A": lambda rep: a_record(rep["id"])}),
        "b": Subgraph(
            SDLS["b"],
            query={"b": {"id": "100", "a": [in_b(id) for id in B["100"]]}},
            entities={
                "A": lambda rep: in_b(rep["id"]),
                "B": lambda rep: {"a": [in_b(id) for id in B[rep["id"]]]},
            },
        ),
    }


CASES: list[Case] = [
    (
        "a requires answered through the one resolvable key of each side",
        "{ b { id a { id name nameInB } } }",
        {
            "data": {
                "b": {
                    "id": "100",
                    "a": [{"id": "1", "name": "a.1", "nameInB": "b.a.nameInB a.1"}],
                }
            }
        },
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_keys_mashup(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
