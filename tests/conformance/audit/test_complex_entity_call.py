"""Audit suite `complex-entity-call`: keys with nested and list selections
(`products { id pid category { id tag } } selected { id }`) whose fields come from
different subgraphs, so each representation is assembled from several fetches.
Composed by our composer (fixture tests/fixtures/composition/complex_entity_call)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.audit.conftest import Case, link, run_case
from tests.conformance.harness import Subgraph

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

SDLS = {
    "products": link("2.0", "@key", "@external", "@extends", "@shareable")
    + """
type Query { topProducts: ProductList! }
type ProductList @key(fields: "products{id}") { products: [Product!]! }
type Product @extends @key(fields: "id") {
  id: String! @external
  category: Category @shareable
}
type Category @key(fields: "id") {
  mainProduct: Product! @shareable
  id: String!
  tag: String @shareable
}
""",
    "link": link("2.0", "@key")
    + """
type Product @key(fields: "id") @key(fields: "id pid") { id: String! pid: String! }
""",
    "list": link("2.0", "@key", "@shareable")
    + """
type ProductList @key(fields: "products{id pid}") {
  products: [Product!]!
  first: Product @shareable
  selected: Product @shareable
}
type Product @key(fields: "id pid") { id: String! pid: String }
""",
    "price": link("2.0", "@key", "@shareable")
    + """
type ProductList @key(fields: "products{id pid category{id tag}} selected{id}") {
  products: [Product!]!
  first: Product @shareable
  selected: Product @shareable
}
type Product @key(fields: "id pid category{id tag}") {
  id: String!
  price: Price
  pid: String
  category: Category
}
type Category @key(fields: "id tag") { id: String! tag: String }
type Price { price: Float! }
""",
}

PRODUCTS = {
    "1": {"id": "1", "pid": "p1", "category": "c1", "price": 100},
    "2": {"id": "2", "pid": "p2", "category": "c2", "price": 200},
}
CATEGORIES = {
    "c1": {"id": "c1", "tag": "t1", "mainProduct": "1"},
    "c2": {"id": "c2", "tag": "t2", "mainProduct": "2"},
}


def category_in_products(id: str) -> dict[str, Any]:
    c = CATEGORIES[id]
    return {
        "id": id,
        "tag": c["tag"],
        "mainProduct": lambda _: product_in_products(c["mainProduct"]),
    }


def product_in_products(id: str) -> dict[str, Any]:
    return {"id": id, "category": category_in_products(PRODUCTS[id]["category"])}


def product_in_price(id: str) -> dict[str, Any]:
    p = PRODUCTS[id]
    c = CATEGORIES[p["category"]]
    return {
        "id": id,
        "pid": p["pid"],
        "price": {"price": p["price"]},
        "category": {"id": c["id"], "tag": c["tag"]},
    }


def matching(keys: list[dict[str, Any]]) -> list[str]:
    """Ids of the products whose every field given in `keys` matches."""
    found = []
    for id, p in PRODUCTS.items():
        c = CATEGORIES[p["category"]]
        for key in keys:
            category = key.get("category", {"id": c["id"], "tag": c["tag"]})
            if (
                key["id"] == id
                and key.get("pid", p["pid"]) == p["pid"]
                and category == {"id": c["id"], "tag": c["tag"]}
            ):
                found.append(id)
                break
    return found


def list_in_list(rep: dict[str, Any]) -> dict[str, Any]:
    ids = matching(rep["products"])
    pair = [{"id": id, "pid": PRODUCTS[id]["pid"]} for id in ids]
    return {
        "first": pair[0] if pair else None,
        "selected": pair[1] if len(pair) > 1 else None,
    }


def list_in_price(rep: dict[str, Any]) -> dict[str, Any]:
    ids = matching(rep["products"])
    return {
        "first": product_in_price(ids[0]) if ids else None,
        "selected": product_in_price(rep["selected"]["id"]),
    }


def subgraphs() -> dict[str, Subgraph]:
    return {
        "products": Subgraph(
            SDLS["products"],
            query={
                "topProducts": {
                    "products": [product_in_products(id) for id in PRODUCTS]
                }
            },
            entities={
                "ProductList": lambda rep: {
                    "products": [
                        product_in_products(id) for id in matching(rep["products"])
                    ]
                },
                "Product": lambda rep: product_in_products(rep["id"]),
                "Category": lambda rep: category_in_products(rep["id"]),
            },
        ),
        "link": Subgraph(
            SDLS["link"],
            entities={
                "Product": lambda rep: {
                    "id": rep["id"],
                    "pid": PRODUCTS[rep["id"]]["pid"],
                }
            },
        ),
        "list": Subgraph(
            SDLS["list"],
            entities={
                "ProductList": list_in_list,
                "Product": lambda rep: {"id": rep["id"], "pid": rep["pid"]},
            },
        ),
        "price": Subgraph(
            SDLS["price"],
            entities={
                "ProductList": list_in_price,
                "Product": lambda rep: (
                    product_in_price(rep["id"]) if matching([rep]) else None
                ),
                "Category": lambda rep: {"id": rep["id"], "tag": rep["tag"]},
            },
        ),
    }


CASES: list[Case] = [
    (
        "representations assembled from nested keys across four subgraphs",
        """{ topProducts {
          products { id pid price { price } category { mainProduct { id } id tag } }
          selected { id }
          first { id }
        } }""",
        {
            "data": {
                "topProducts": {
                    "products": [
                        {
                            "id": "1",
                            "pid": "p1",
                            "price": {"price": 100},
                            "category": {
                                "mainProduct": {"id": "1"},
                                "id": "c1",
                                "tag": "t1",
                            },
                        },
                        {
                            "id": "2",
                            "pid": "p2",
                            "price": {"price": 200},
                            "category": {
                                "mainProduct": {"id": "2"},
                                "id": "c2",
                                "tag": "t2",
                            },
                        },
                    ],
                    "selected": {"id": "2"},
                    "first": {"id": "1"},
                }
            }
        },
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_complex_entity_call(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
