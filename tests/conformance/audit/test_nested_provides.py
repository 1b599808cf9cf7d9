"""Audit suite `nested-provides`: a @provides reaching two levels deep
(`categories { id name subCategories { id name } }`) on a shareable root field;
the whole operation must be served by the providing subgraph. The other
subgraphs fail any request the better plan does not need ("poor plans")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.audit.conftest import Case, link, run_case
from tests.conformance.harness import Subgraph

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

SDLS = {
    "all-products": link("2.3", "@key", "@shareable")
    + """
type Product @key(fields: "id") { id: ID! }
""",
    "category": link("2.3", "@key", "@shareable", "@external", "@provides")
    + """
type Query {
  products: [Product]
    @shareable
    @provides(fields: "categories { id name subCategories { id name } }")
}
type Product @key(fields: "id") { id: ID! categories: [Category] @external }
type Category @key(fields: "id") {
  id: ID! name: String subCategories: [Category] @external
}
""",
    "subcategories": link("2.3", "@key", "@shareable")
    + """
type Product @key(fields: "id") { id: ID! categories: [Category] @shareable }
type Category @key(fields: "id") { id: ID! subCategories: [Category] @shareable }
""",
}

PRODUCTS = {"p1": ["c1", "c2"], "p2": ["c3", "c2"]}
CATEGORIES = {"c1": ["c2"], "c2": ["c3"], "c3": ["c1"]}


def category(id: str, depth: int) -> dict[str, Any]:
    name = f"Category {id[1:]}"
    if depth == 0:
        return {"id": id, "name": name}
    return {
        "id": id,
        "name": name,
        "subCategories": [category(s, depth - 1) for s in CATEGORIES[id]],
    }


def poor_plan(rep: dict[str, Any]) -> Any:
    raise RuntimeError("the category subgraph provides all of it")


def subgraphs() -> dict[str, Subgraph]:
    products = [
        {"id": p, "categories": [category(c, 1) for c in cats]}
        for p, cats in PRODUCTS.items()
    ]
    refuse = {"Product": poor_plan, "Category": poor_plan}
    return {
        "all-products": Subgraph(SDLS["all-products"], entities={"Product": poor_plan}),
        "category": Subgraph(
            SDLS["category"], query={"products": products}, entities=refuse
        ),
        "subcategories": Subgraph(SDLS["subcategories"], entities=refuse),
    }


CASES: list[Case] = [
    (
        "a provided list of entities with a provided field",
        "{ products { id categories { id name } } }",
        {
            "data": {
                "products": [
                    {
                        "id": "p1",
                        "categories": [
                            {"id": "c1", "name": "Category 1"},
                            {"id": "c2", "name": "Category 2"},
                        ],
                    },
                    {
                        "id": "p2",
                        "categories": [
                            {"id": "c3", "name": "Category 3"},
                            {"id": "c2", "name": "Category 2"},
                        ],
                    },
                ]
            }
        },
    ),
    (
        "a provided field of a provided field",
        "{ products { id categories { id name subCategories { id name } } } }",
        {
            "data": {
                "products": [
                    {
                        "id": "p1",
                        "categories": [
                            {
                                "id": "c1",
                                "name": "Category 1",
                                "subCategories": [{"id": "c2", "name": "Category 2"}],
                            },
                            {
                                "id": "c2",
                                "name": "Category 2",
                                "subCategories": [{"id": "c3", "name": "Category 3"}],
                            },
                        ],
                    },
                    {
                        "id": "p2",
                        "categories": [
                            {
                                "id": "c3",
                                "name": "Category 3",
                                "subCategories": [{"id": "c1", "name": "Category 1"}],
                            },
                            {
                                "id": "c2",
                                "name": "Category 2",
                                "subCategories": [{"id": "c3", "name": "Category 3"}],
                            },
                        ],
                    },
                ]
            }
        },
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_nested_provides(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
