"""@requires with @external: fields computed from other subgraphs' fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.harness import Subgraph, fixture_sdl, supergraph_sdl

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

FIXTURE = "external_requires"


def estimate(product: dict[str, Any]) -> int | None:
    if product.get("weight") is None or product.get("size") is None:
        return None
    return product["weight"] * 10 + product["size"]


def subgraphs() -> dict[str, Subgraph]:
    return {
        "products": Subgraph(
            fixture_sdl(FIXTURE, "products"),
            query={
                "products": [
                    {
                        "__typename": "Product",
                        "id": "1",
                        "weight": 2,
                        "size": 3,
                        "name": "Box",
                    },
                    {
                        "__typename": "Product",
                        "id": "2",
                        "weight": None,
                        "size": 1,
                        "name": "Air",
                    },
                ]
            },
        ),
        "shipping": Subgraph(
            fixture_sdl(FIXTURE, "shipping"),
            entities={"Product": lambda rep: {"shippingEstimate": estimate}},
        ),
    }


CASES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "required fields are fetched first and sent in the representation",
        "{ products { name shippingEstimate } }",
        {
            "data": {
                "products": [
                    {"name": "Box", "shippingEstimate": 23},
                    {"name": "Air", "shippingEstimate": None},
                ]
            }
        },
    ),
    (
        "required fields are not in the answer unless asked",
        "{ products { shippingEstimate } }",
        {"data": {"products": [{"shippingEstimate": 23}, {"shippingEstimate": None}]}},
    ),
    (
        "required fields asked by the client appear where asked",
        "{ products { weight shippingEstimate size } }",
        {
            "data": {
                "products": [
                    {"weight": 2, "shippingEstimate": 23, "size": 3},
                    {"weight": None, "shippingEstimate": None, "size": 1},
                ]
            }
        },
    ),
    (
        "an alias on the required field",
        "{ products { cost: shippingEstimate w: weight } }",
        {
            "data": {
                "products": [
                    {"cost": 23, "w": 2},
                    {"cost": None, "w": None},
                ]
            }
        },
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_requires(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    client = await gateway(supergraph_sdl(FIXTURE), subgraphs())
    assert await client.query(query) == expected


async def test_representations_carry_the_required_fields(
    gateway: GatewayFactory,
) -> None:
    graph = subgraphs()
    client = await gateway(supergraph_sdl(FIXTURE), graph)
    await client.query("{ products { shippingEstimate } }")
    (request,) = graph["shipping"].requests
    assert request["variables"]["representations"] == [
        {"__typename": "Product", "id": "1", "weight": 2, "size": 3},
        {"__typename": "Product", "id": "2", "weight": None, "size": 1},
    ]
