"""Audit suite `include-skip`: @include/@skip by variable (with defaults) on @requires
fields behind a chain of two jumps; a field excluded at run time must not reach
its subgraph. The audit's subgraphs `a` and `b` are not in our copy and are
reconstructed from its plans (Product.price in `a`, isExpensive requiring it
in `b`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.audit.conftest import Case, link, run_case
from tests.conformance.harness import Subgraph

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

SDLS = {
    "a": link("2.3", "@key")
    + """
type Query { product: Product }
type Product @key(fields: "id") { id: ID! price: Float! }
""",
    "b": link("2.3", "@key", "@external", "@requires")
    + """
type Product @key(fields: "id") {
  id: ID! price: Float! @external isExpensive: Boolean! @requires(fields: "price")
}
""",
    "c": link("2.3", "@key", "@external", "@requires")
    + """
type Product @key(fields: "id") {
  id: ID!
  isExpensive: Boolean! @external
  include: Boolean! @requires(fields: "isExpensive")
  skip: Boolean! @requires(fields: "isExpensive")
  neverCalledInclude: Boolean! @requires(fields: "isExpensive")
  neverCalledSkip: Boolean! @requires(fields: "isExpensive")
}
""",
}


def checked(product: dict[str, Any]) -> bool:
    if not isinstance(product.get("isExpensive"), bool):
        raise ValueError("isExpensive is missing")
    return True


def never(product: dict[str, Any]) -> bool:
    raise RuntimeError("a field excluded by @skip/@include was asked for")


def subgraphs() -> dict[str, Subgraph]:
    product = {"__typename": "Product", "id": "p1", "price": 699.99}
    return {
        "a": Subgraph(
            SDLS["a"], query={"product": product}, entities={"Product": [product]}
        ),
        "b": Subgraph(
            SDLS["b"],
            entities={
                "Product": lambda rep: {"isExpensive": lambda p: p["price"] > 500}
            },
        ),
        "c": Subgraph(
            SDLS["c"],
            entities={
                "Product": lambda rep: {
                    "include": checked,
                    "skip": checked,
                    "neverCalledInclude": never,
                    "neverCalledSkip": never,
                }
            },
        ),
    }


CASES: list[Case] = [
    (
        "@include false by default keeps the chain of fetches from running",
        "query ($bool: Boolean = false)"
        " { product { price neverCalledInclude @include(if: $bool) } }",
        {"data": {"product": {"price": 699.99}}},
    ),
    (
        "@skip true by default keeps the chain of fetches from running",
        "query ($bool: Boolean = true)"
        " { product { price neverCalledSkip @skip(if: $bool) } }",
        {"data": {"product": {"price": 699.99}}},
    ),
    (
        "@include true by default runs the chain",
        "query ($bool: Boolean = true)"
        " { product { price include @include(if: $bool) } }",
        {"data": {"product": {"price": 699.99, "include": True}}},
    ),
    (
        "@skip false by default runs the chain",
        "query ($bool: Boolean = false) { product { price skip @skip(if: $bool) } }",
        {"data": {"product": {"price": 699.99, "skip": True}}},
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_include_skip(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
