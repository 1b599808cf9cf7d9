"""Audit suite `circular-reference-interface`: an interface field returning the
interface again, implemented with a narrower type and a @provides, selected
through fragments on the interface and on the object."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.audit.conftest import Case, link, run_case
from tests.conformance.harness import Subgraph

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

SDLS = {
    "a": link("2.3", "@key", "@external", "@provides")
    + """
type Query { product: Product }
interface Product { samePriceProduct: Product }
type Book implements Product @key(fields: "id") {
  id: ID!
  samePriceProduct: Book @provides(fields: "price")
  price: Float @external
}
""",
    "b": link("2.3", "@key", "@shareable")
    + """
type Book @key(fields: "id") { id: ID! price: Float @shareable }
""",
}

BOOKS = [
    {"__typename": "Book", "id": "1", "price": 10.99},
    {"__typename": "Book", "id": "2", "price": 5.99},
    {"__typename": "Book", "id": "3", "price": 10.99},
]


def in_a(book: dict[str, Any]) -> dict[str, Any]:
    # `a` knows a book's price only where it returned it itself.
    return {**book, "samePriceProduct": same_price}


def same_price(book: dict[str, Any]) -> dict[str, Any] | None:
    found = [
        b for b in BOOKS if b["price"] == book.get("price") and b["id"] != book["id"]
    ]
    return in_a(found[0]) if found else None


def subgraphs() -> dict[str, Subgraph]:
    return {
        "a": Subgraph(
            SDLS["a"],
            query={"product": in_a(BOOKS[0])},
            entities={
                "Book": lambda rep: {"samePriceProduct": same_price, "price": None}
            },
        ),
        "b": Subgraph(SDLS["b"], entities={"Book": BOOKS}),
    }


CASES: list[Case] = [
    (
        "an interface field twice through a fragment on the interface",
        """{ product { samePriceProduct { ... on Product {
          samePriceProduct { __typename } } } } }""",
        {
            "data": {
                "product": {
                    "samePriceProduct": {"samePriceProduct": {"__typename": "Book"}}
                }
            }
        },
    ),
    (
        "the same objects through interface and object fragments, with provided fields",
        """{ product {
          __typename
          samePriceProduct {
            __typename
            ... on Book { id }
            samePriceProduct { __typename ... on Book { id } }
          }
          ... on Book { __typename id price samePriceProduct { id price } }
        } }""",
        {
            "data": {
                "product": {
                    "__typename": "Book",
                    "samePriceProduct": {
                        "__typename": "Book",
                        "id": "3",
                        "samePriceProduct": {"__typename": "Book", "id": "1"},
                        "price": 10.99,
                    },
                    "id": "1",
                    "price": 10.99,
                }
            }
        },
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_circular_reference_interface(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
