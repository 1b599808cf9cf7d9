"""Audit suite `parent-entity-call`: a value type's field (`Category.details`) that
only one subgraph resolves, reached by jumping to the *parent* entity there
(Product by its compound key), since Category itself has no key in that subgraph.
Composed by our composer (fixture tests/fixtures/composition/parent_entity_call)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.audit.conftest import Case, link, run_case
from tests.conformance.harness import Subgraph

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

SDLS = {
    "a": link("2.3", "@key", "@external", "@shareable")
    + """
type Query { products: [Product!]! }
type Product @key(fields: "id") @key(fields: "id pid") {
  id: ID! pid: ID! category: Category @shareable
}
type Category @key(fields: "id") { id: ID! name: String! @shareable }
""",
    "b": link("2.3", "@key", "@shareable")
    + """
type Product @key(fields: "id pid") { id: ID! pid: ID! category: Category @shareable }
type Category @key(fields: "id") { id: ID! name: String! @shareable }
""",
    "c": link("2.3", "@key", "@shareable")
    + """
type Category { details: CategoryDetails }
type Product @key(fields: "id pid") { id: ID! pid: ID! category: Category @shareable }
type CategoryDetails { products: Int }
""",
}

PRODUCTS = [("p1", "c1"), ("p2", "c2"), ("p3", "c1")]
CATEGORIES = {
    c: {"id": c, "name": f"{c}-name", "details": {"products": n}}
    for c, n in (("c1", 2), ("c2", 1))
}


def product(id: str, category: dict[str, Any]) -> dict[str, Any]:
    return {"__typename": "Product", "id": id, "pid": f"{id}-pid", "category": category}


def with_details_only(category: str) -> dict[str, Any]:
    return {"details": CATEGORIES[category]["details"]}


def with_id_and_name(category: str) -> dict[str, Any]:
    return {"id": category, "name": CATEGORIES[category]["name"]}


def by_key(shape: Any) -> Any:
    def resolve(rep: dict[str, Any]) -> dict[str, Any] | None:
        found = [(p, c) for p, c in PRODUCTS if p == rep["id"]]
        if not found or rep.get("pid", f"{rep['id']}-pid") != f"{rep['id']}-pid":
            return None
        return product(found[0][0], shape(found[0][1]))

    return resolve


def subgraphs() -> dict[str, Subgraph]:
    categories = [with_id_and_name(c) for c in CATEGORIES]
    return {
        "a": Subgraph(
            SDLS["a"],
            query={"products": [product(p, with_id_and_name(c)) for p, c in PRODUCTS]},
            entities={"Product": by_key(with_id_and_name), "Category": categories},
        ),
        "b": Subgraph(
            SDLS["b"],
            entities={"Product": by_key(with_id_and_name), "Category": categories},
        ),
        "c": Subgraph(SDLS["c"], entities={"Product": by_key(with_details_only)}),
    }


CASES: list[Case] = [
    (
        "a value type's field is reached through its parent entity",
        "{ products { id category { id details { products } } } }",
        {
            "data": {
                "products": [
                    {"id": "p1", "category": {"id": "c1", "details": {"products": 2}}},
                    {"id": "p2", "category": {"id": "c2", "details": {"products": 1}}},
                    {"id": "p3", "category": {"id": "c1", "details": {"products": 2}}},
                ]
            }
        },
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_parent_entity_call(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
