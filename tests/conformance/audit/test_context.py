"""@context / @fromContext (Federation v2.8, join v0.5 `contextArguments`): an
argument whose value comes from the nearest ancestor setting the context. Not an
audit suite (the audit has none); the scenario is the federation docs' shape.
Composed by our composer (fixture tests/fixtures/composition/context_from_context)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.audit.conftest import Case, link, run_case
from tests.conformance.harness import Subgraph

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

SDLS = {
    "a": link("2.8", "@key", "@context", "@fromContext")
    + """
type Query { t: T! ts: [T!]! }
type T @key(fields: "id") @context(name: "context") {
  id: ID! u: U! us: [U!]! prop: String!
}
type U @key(fields: "id") {
  id: ID!
  field(a: String @fromContext(field: "$context { prop }")): String!
}
""",
    "b": link("2.8", "@key")
    + """
type Query { a: Int! }
type U @key(fields: "id") { id: ID! b: String }
""",
}

TS = {"t1": ("t1-prop", ["u1", "u2"]), "t2": ("t2-prop", ["u1"])}


def u(id: str) -> dict[str, Any]:
    # The argument arrives only when the gateway passes the context value.
    return {"__typename": "U", "id": id, "field": lambda p, a=None: f"{p['id']}:{a}"}


def t(id: str) -> dict[str, Any]:
    prop, us = TS[id]
    return {
        "__typename": "T",
        "id": id,
        "prop": prop,
        "u": u(us[0]),
        "us": [u(x) for x in us],
    }


def subgraphs() -> dict[str, Subgraph]:
    return {
        "a": Subgraph(
            SDLS["a"],
            query={"t": t("t1"), "ts": [t(id) for id in TS]},
            entities={"T": lambda rep: t(rep["id"]), "U": lambda rep: u(rep["id"])},
        ),
        "b": Subgraph(
            SDLS["b"],
            query={"a": 1},
            entities={"U": lambda rep: {"b": f"{rep['id']}-b"}},
        ),
    }


CASES: list[Case] = [
    (
        "the argument takes the value set by the ancestor",
        "{ t { u { field } } }",
        {"data": {"t": {"u": {"field": "u1:t1-prop"}}}},
    ),
    (
        "one object under two ancestors gets each ancestor's value",
        "{ ts { id us { id field b } } }",
        {
            "data": {
                "ts": [
                    {
                        "id": "t1",
                        "us": [
                            {"id": "u1", "field": "u1:t1-prop", "b": "u1-b"},
                            {"id": "u2", "field": "u2:t1-prop", "b": "u2-b"},
                        ],
                    },
                    {
                        "id": "t2",
                        "us": [{"id": "u1", "field": "u1:t2-prop", "b": "u1-b"}],
                    },
                ]
            }
        },
    ),
    (
        "the context field asked by the client too, under an alias",
        "{ t { p: prop u { field } } }",
        {"data": {"t": {"p": "t1-prop", "u": {"field": "u1:t1-prop"}}}},
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_context(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
