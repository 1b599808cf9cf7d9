"""Audit suite `requires-with-fragments`: @requires whose selection holds inline
fragments on interfaces and their implementations, one of them @inaccessible."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.audit.conftest import Case, link, run_case
from tests.conformance.harness import Subgraph

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

INTERFACES = """
interface Foo { foo: String! }
interface Bar implements Foo { foo: String! bar: String! }
"""

SDLS = {
    "a": link("2.5", "@key", "@shareable")
    + INTERFACES
    + """
type Query @shareable { a: Entity }
type Entity @key(fields: "id") { id: ID! data: Foo }
type Baz implements Foo & Bar @shareable { foo: String! bar: String! baz: String! }
type Qux implements Foo & Bar @shareable { foo: String! bar: String! qux: String! }
""",
    "b": link("2.5", "@key", "@shareable", "@inaccessible", "@external", "@requires")
    + INTERFACES
    + '''
type Query @shareable { b: Entity bb: Entity }
type Entity @key(fields: "id") {
  id: ID!
  data: Foo @external
  requirer: String! @requires(fields: """
    data { foo ... on Bar { bar ... on Baz { baz } ... on Qux { qux } } }
  """)
  requirer2: String! @requires(fields: "data { ... on Foo { foo } }")
}
type Baz implements Foo & Bar @shareable @inaccessible {
  foo: String! bar: String! baz: String!
}
type Qux implements Foo & Bar @shareable { foo: String! bar: String! qux: String! }
''',
}

DATA = {
    "b1": {"__typename": "Baz", "foo": "b1-foo", "bar": "b1-bar", "baz": "b1-baz"},
    "q1": {"__typename": "Qux", "foo": "q1-foo", "bar": "q1-bar", "qux": "q1-qux"},
}
ENTITIES = {"e1": "b1", "e2": "q1"}


def entity(id: str) -> dict[str, Any]:
    return {"__typename": "Entity", "id": id, "data": DATA[ENTITIES[id]]}


def requirer(suffix: str) -> Any:
    def resolve(parent: dict[str, Any]) -> str:
        # Only the representation's `data` (sent by the gateway) is known here.
        return f"{parent['data']['foo']}_{suffix}"

    return resolve


def subgraphs() -> dict[str, Subgraph]:
    return {
        "a": Subgraph(
            SDLS["a"],
            query={"a": entity("e2")},
            entities={"Entity": lambda rep: entity(rep["id"])},
        ),
        "b": Subgraph(
            SDLS["b"],
            query={
                "b": {"__typename": "Entity", "id": "e1"},
                "bb": {"__typename": "Entity", "id": "e2"},
            },
            entities={
                "Entity": lambda rep: {
                    "requirer": requirer("requirer"),
                    "requirer2": requirer("requirer2"),
                }
            },
        ),
    }


CASES: list[Case] = [
    (
        "an inaccessible implementation resolves to null, with an error",
        "{ b { id data { __typename } } bb { id data { __typename } } }",
        {
            "errors": [
                {
                    "message": "Invalid __typename found for field Entity.data.",
                    "path": ["b", "data"],
                    "extensions": {"code": "INVALID_GRAPHQL"},
                }
            ],
            "data": {
                "b": {"id": "e1", "data": None},
                "bb": {"id": "e2", "data": {"__typename": "Qux"}},
            },
        },
    ),
    (
        "requires of an inaccessible implementation still reaches the requirer",
        "{ b { data { __typename } requirer } }",
        {
            "errors": [
                {
                    "message": "Invalid __typename found for field Entity.data.",
                    "path": ["b", "data"],
                    "extensions": {"code": "INVALID_GRAPHQL"},
                }
            ],
            "data": {"b": {"data": None, "requirer": "b1-foo_requirer"}},
        },
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_requires_with_fragments(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
