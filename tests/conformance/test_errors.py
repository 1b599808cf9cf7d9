"""Subgraph errors and failures: paths rewritten to the client's, partial data,
`extensions.code` and `extensions.serviceName`, never a 500."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from graphql import GraphQLError

from tests.conformance.harness import Subgraph, fixture_sdl, supergraph_sdl

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

FIXTURE = "fed1_subgraphs"

PRODUCTS = [
    {"__typename": "Product", "upc": "1", "name": "Table", "price": 899, "weight": 100},
    {
        "__typename": "Product",
        "upc": "2",
        "name": "Couch",
        "price": 1299,
        "weight": 1000,
    },
    {"__typename": "Product", "upc": "1", "name": "Table", "price": 899, "weight": 100},
]


def in_stock(product: dict[str, Any]) -> bool:
    if product["upc"] == "2":
        raise GraphQLError("stock service lost the couch")
    return True


def forbidden(_: Any) -> str:
    raise GraphQLError("not yours", extensions={"code": "FORBIDDEN"})


def subgraphs(**behaviour: str) -> dict[str, Subgraph]:
    graph = {
        "accounts": Subgraph(
            fixture_sdl(FIXTURE, "accounts"),
            query={"me": {"__typename": "User", "id": "u1", "username": forbidden}},
        ),
        "products": Subgraph(
            fixture_sdl(FIXTURE, "products"),
            query={"topProducts": lambda _, first=5: PRODUCTS[:first]},
        ),
        "inventory": Subgraph(
            fixture_sdl(FIXTURE, "inventory"),
            entities={"Product": lambda rep: {"inStock": in_stock}},
        ),
        "reviews": Subgraph(fixture_sdl(FIXTURE, "reviews")),
    }
    for name, how in behaviour.items():
        graph[name].behaviour = how
    return graph


def failure(service: str, code: str, reason: str) -> dict[str, Any]:
    return {
        "message": f"Subgraph '{service}' failed: {reason}",
        "extensions": {"code": code, "serviceName": service},
    }


@pytest.mark.parametrize(
    ("behaviour", "code", "reason"),
    [
        ("down", "SUBGRAPH_UNAVAILABLE", "HTTP 500"),
        ("garbage", "SUBGRAPH_BAD_RESPONSE", "the answer is not a GraphQL response"),
        ("hang", "SUBGRAPH_TIMEOUT", "no response within 0.2s"),
    ],
)
async def test_failing_entity_subgraph_leaves_partial_data(
    gateway: GatewayFactory, behaviour: str, code: str, reason: str
) -> None:
    client = await gateway(
        supergraph_sdl(FIXTURE), subgraphs(inventory=behaviour), timeout=0.2
    )
    response = await client.query("{ topProducts(first: 2) { name inStock } }")
    assert response == {
        "errors": [failure("inventory", code, reason)],
        "data": {
            "topProducts": [
                {"name": "Table", "inStock": None},
                {"name": "Couch", "inStock": None},
            ]
        },
    }


@pytest.mark.parametrize(
    ("behaviour", "code", "reason"),
    [
        ("down", "SUBGRAPH_UNAVAILABLE", "HTTP 500"),
        ("garbage", "SUBGRAPH_BAD_RESPONSE", "the answer is not a GraphQL response"),
        ("hang", "SUBGRAPH_TIMEOUT", "no response within 0.2s"),
    ],
)
async def test_failing_root_subgraph_nulls_only_its_fields(
    gateway: GatewayFactory, behaviour: str, code: str, reason: str
) -> None:
    client = await gateway(
        supergraph_sdl(FIXTURE), subgraphs(products=behaviour), timeout=0.2
    )
    response = await client.query("{ me { id } topProducts { name } }")
    assert response == {
        "errors": [failure("products", code, reason)],
        "data": {"me": {"id": "u1"}, "topProducts": None},
    }


async def test_every_subgraph_down_still_answers_with_errors(
    gateway: GatewayFactory,
) -> None:
    client = await gateway(
        supergraph_sdl(FIXTURE), subgraphs(accounts="down", products="down")
    )
    response = await client.query("{ me { id } topProducts { name } }")
    assert response == {
        "errors": [
            failure("accounts", "SUBGRAPH_UNAVAILABLE", "HTTP 500"),
            failure("products", "SUBGRAPH_UNAVAILABLE", "HTTP 500"),
        ],
        "data": {"me": None, "topProducts": None},
    }


async def test_root_field_error_keeps_its_path_and_code(
    gateway: GatewayFactory,
) -> None:
    client = await gateway(supergraph_sdl(FIXTURE), subgraphs())
    response = await client.query("{ me { id username } }")
    assert response == {
        "errors": [
            {
                "message": "not yours",
                "path": ["me", "username"],
                "extensions": {"code": "FORBIDDEN", "serviceName": "accounts"},
            }
        ],
        "data": {"me": {"id": "u1", "username": None}},
    }


async def test_entity_error_path_is_rewritten_to_every_client_path(
    gateway: GatewayFactory,
) -> None:
    client = await gateway(supergraph_sdl(FIXTURE), subgraphs())
    response = await client.query("{ topProducts { upc inStock } }")
    assert response == {
        "errors": [
            {
                "message": "stock service lost the couch",
                "path": ["topProducts", 1, "inStock"],
                "extensions": {
                    "code": "DOWNSTREAM_SERVICE_ERROR",
                    "serviceName": "inventory",
                },
            }
        ],
        "data": {
            "topProducts": [
                {"upc": "1", "inStock": True},
                {"upc": "2", "inStock": None},
                {"upc": "1", "inStock": True},
            ]
        },
    }


async def test_entity_error_behind_an_alias_uses_the_clients_alias(
    gateway: GatewayFactory,
) -> None:
    client = await gateway(supergraph_sdl(FIXTURE), subgraphs())
    response = await client.query("{ top: topProducts(first: 2) { stock: inStock } }")
    assert response == {
        "errors": [
            {
                "message": "stock service lost the couch",
                "path": ["top", 1, "stock"],
                "extensions": {
                    "code": "DOWNSTREAM_SERVICE_ERROR",
                    "serviceName": "inventory",
                },
            }
        ],
        "data": {"top": [{"stock": True}, {"stock": None}]},
    }


async def test_a_failure_never_becomes_an_http_500(gateway: GatewayFactory) -> None:
    client = await gateway(supergraph_sdl(FIXTURE), subgraphs(inventory="down"))
    response = await client.client.post(
        "/graphql",
        json={"query": "{ topProducts { inStock } }"},
        headers={"accept": "application/graphql-response+json"},
    )
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["serviceName"] == "inventory"
