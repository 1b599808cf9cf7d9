"""Audit suite `provides-on-interface`: `@provides(fields: "animals { id name }")`
on a shareable root field returning an interface, whose implementations are not
entities in the providing subgraph; a field beyond the provided ones is reached
through the parent entity. The audit's subgraph `a` is not in our copy and is
reconstructed (another `media` root, which a good plan never uses). Composed by
our composer (fixture tests/fixtures/composition/provides_on_interface)."""

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
type Query { media: Media @shareable }
interface Media { id: ID! }
type Book implements Media @key(fields: "id") { id: ID! }
""",
    "b": link("2.3", "@key", "@shareable", "@provides", "@external")
    + """
type Query { media: Media @shareable @provides(fields: "animals { id name }") }
interface Media { id: ID! animals: [Animal] }
interface Animal { id: ID! name: String }
type Book implements Media { id: ID! @shareable animals: [Animal] @external }
type Dog implements Animal { id: ID! @external name: String @external }
type Cat implements Animal { id: ID! @external name: String @external }
""",
    "c": link("2.3", "@key", "@shareable")
    + """
interface Media { id: ID! animals: [Animal] }
interface Animal { id: ID! name: String }
type Book implements Media @key(fields: "id") { id: ID! animals: [Animal] @shareable }
type Dog implements Animal @key(fields: "id") {
  id: ID! name: String @shareable age: Int
}
type Cat implements Animal @key(fields: "id") {
  id: ID! name: String @shareable age: Int
}
""",
}

ANIMALS = [
    {"__typename": "Dog", "id": "a1", "name": "Fido", "age": 3},
    {"__typename": "Cat", "id": "a2", "name": "Whiskers", "age": 6},
]


def poor_plan(*args: Any) -> Any:
    raise RuntimeError("'b' provides what this asks for")


def subgraphs() -> dict[str, Subgraph]:
    provided = [{k: a[k] for k in ("__typename", "id", "name")} for a in ANIMALS]
    book = {"__typename": "Book", "id": "m1"}
    return {
        "a": Subgraph(SDLS["a"], query={"media": poor_plan}),
        "b": Subgraph(SDLS["b"], query={"media": {**book, "animals": provided}}),
        "c": Subgraph(
            SDLS["c"],
            entities={
                "Book": [{**book, "animals": ANIMALS}],
                "Dog": poor_plan,
                "Cat": [ANIMALS[1]],
            },
        ),
    }


CASES: list[Case] = [
    (
        "provided fields of an interface's implementations need no jump",
        "{ media { id animals { id name } } }",
        {
            "data": {
                "media": {
                    "id": "m1",
                    "animals": [
                        {"id": "a1", "name": "Fido"},
                        {"id": "a2", "name": "Whiskers"},
                    ],
                }
            }
        },
    ),
    (
        "a field beyond the provided ones is reached through the parent entity",
        "{ media { id animals { id name ... on Cat { age } } } }",
        {
            "data": {
                "media": {
                    "id": "m1",
                    "animals": [
                        {"id": "a1", "name": "Fido"},
                        {"id": "a2", "name": "Whiskers", "age": 6},
                    ],
                }
            }
        },
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_provides_on_interface(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
