"""@requires with @external: fields computed from other subgraphs' fields, with
nested selections and on fields behind an entity jump (those supergraphs composed by
our composer, the rest by the reference one)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from gateway.compose import SubgraphDefinition, compose
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


LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", '
    'import: ["@key", "@external", "@requires", "@shareable"])\n'
)
NESTED = {
    "products": LINK
    + """
type Query { products: [Product!]! }
type Product @key(fields: "id") {
  id: ID!
  name: String!
  dimensions: Dimensions!
  owner: User
}
type Dimensions @shareable { weight: Int! size: Int! }
type User @key(fields: "id", resolvable: false) { id: ID! }
""",
    "shipping": LINK
    + """
type Product @key(fields: "id") {
  id: ID!
  dimensions: Dimensions! @external
  shippingEstimate: Int @requires(fields: "dimensions { weight size }")
}
type Dimensions @shareable { weight: Int! size: Int! }
""",
    "accounts": LINK
    + """
type User @key(fields: "id") { id: ID! tier: String! name: String }
""",
    "billing": LINK
    + """
type User @key(fields: "id") {
  id: ID!
  tier: String! @external
  discount: Int @requires(fields: "tier")
}
""",
}


def nested_supergraph() -> str:
    result = compose(
        [
            SubgraphDefinition(name, f"http://{name}.example/graphql", sdl)
            for name, sdl in NESTED.items()
        ]
    )
    assert result.supergraph_sdl is not None, result.errors
    return result.supergraph_sdl


def nested_subgraphs() -> dict[str, Subgraph]:
    def product(i: int, weight: int, size: int) -> dict[str, Any]:
        return {
            "__typename": "Product",
            "id": str(i),
            "name": f"P{i}",
            "dimensions": {"weight": weight, "size": size},
            "owner": {"__typename": "User", "id": f"u{i % 2}"},
        }

    return {
        "products": Subgraph(
            NESTED["products"], query={"products": [product(1, 2, 3), product(2, 5, 1)]}
        ),
        "shipping": Subgraph(
            NESTED["shipping"],
            entities={
                "Product": lambda rep: {
                    "shippingEstimate": rep["dimensions"]["weight"] * 10
                    + rep["dimensions"]["size"]
                }
            },
        ),
        "accounts": Subgraph(
            NESTED["accounts"],
            entities={
                "User": [
                    {"id": "u0", "tier": "gold", "name": "Ada"},
                    {"id": "u1", "tier": "basic", "name": "Bob"},
                ]
            },
        ),
        "billing": Subgraph(
            NESTED["billing"],
            entities={
                "User": lambda rep: {"discount": 20 if rep["tier"] == "gold" else 0}
            },
        ),
    }


async def test_requires_with_a_nested_selection(gateway: GatewayFactory) -> None:
    graph = nested_subgraphs()
    client = await gateway(nested_supergraph(), graph)
    response = await client.query("{ products { name shippingEstimate } }")
    assert response == {
        "data": {
            "products": [
                {"name": "P1", "shippingEstimate": 23},
                {"name": "P2", "shippingEstimate": 51},
            ]
        }
    }
    (request,) = graph["shipping"].requests
    assert request["variables"]["representations"] == [
        {"__typename": "Product", "id": "1", "dimensions": {"weight": 2, "size": 3}},
        {"__typename": "Product", "id": "2", "dimensions": {"weight": 5, "size": 1}},
    ]


async def test_requires_on_a_field_behind_an_entity_jump(
    gateway: GatewayFactory,
) -> None:
    graph = nested_subgraphs()
    client = await gateway(nested_supergraph(), graph)
    response = await client.query("{ products { owner { name discount } } }")
    assert response == {
        "data": {
            "products": [
                {"owner": {"name": "Bob", "discount": 0}},
                {"owner": {"name": "Ada", "discount": 20}},
            ]
        }
    }
    (request,) = graph["billing"].requests
    assert request["variables"]["representations"] == [
        {"__typename": "User", "id": "u1", "tier": "basic"},
        {"__typename": "User", "id": "u0", "tier": "gold"},
    ]


async def test_required_field_asked_beside_the_requiring_field_behind_a_jump(
    gateway: GatewayFactory,
) -> None:
    client = await gateway(nested_supergraph(), nested_subgraphs())
    response = await client.query(
        "{ products { owner { discount tier } dimensions { size } } }"
    )
    assert response == {
        "data": {
            "products": [
                {"owner": {"discount": 0, "tier": "basic"}, "dimensions": {"size": 3}},
                {"owner": {"discount": 20, "tier": "gold"}, "dimensions": {"size": 1}},
            ]
        }
    }
