"""@inaccessible: hidden from the API schema, its introspection and validation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.harness import Subgraph, fixture_sdl, supergraph_sdl

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

FIXTURE = "inaccessible"


def subgraphs() -> dict[str, Subgraph]:
    return {
        "accounts": Subgraph(
            fixture_sdl(FIXTURE, "accounts"),
            query={
                "me": {
                    "__typename": "User",
                    "id": "1",
                    "name": "Ada",
                    "passwordHash": "secret",
                    "status": "ACTIVE",
                }
            },
        ),
        "reviews": Subgraph(
            fixture_sdl(FIXTURE, "reviews"),
            entities={"User": [{"id": "1", "reviewCount": 4}]},
        ),
    }


async def test_accessible_fields_work_across_subgraphs(
    gateway: GatewayFactory,
) -> None:
    client = await gateway(supergraph_sdl(FIXTURE), subgraphs())
    response = await client.query("{ me { name status reviewCount } }")
    assert response == {
        "data": {"me": {"name": "Ada", "status": "ACTIVE", "reviewCount": 4}}
    }


@pytest.mark.parametrize(
    ("query", "message", "column"),
    [
        (
            "{ me { passwordHash } }",
            "Cannot query field 'passwordHash' on type 'User'.",
            8,
        ),
        ("{ internal { at } }", "Cannot query field 'internal' on type 'Query'.", 3),
        (
            "{ me { status(verbose: true) } }",
            "Unknown argument 'verbose' on field 'User.status'.",
            15,
        ),
    ],
)
async def test_inaccessible_elements_fail_validation(
    gateway: GatewayFactory, query: str, message: str, column: int
) -> None:
    graph = subgraphs()
    client = await gateway(supergraph_sdl(FIXTURE), graph)
    response = await client.query(query)
    assert response == {
        "errors": [
            {
                "message": message,
                "locations": [{"line": 1, "column": column}],
                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
            }
        ]
    }
    assert graph["accounts"].requests == []


async def test_introspection_hides_inaccessible_types_fields_and_values(
    gateway: GatewayFactory,
) -> None:
    client = await gateway(supergraph_sdl(FIXTURE), subgraphs())
    response = await client.query(
        """{
          user: __type(name: "User") { fields { name } }
          status: __type(name: "Status") { enumValues { name } }
          audit: __type(name: "Audit") { name }
        }"""
    )
    expected: dict[str, Any] = {
        "data": {
            "user": {
                "fields": [
                    {"name": "id"},
                    {"name": "name"},
                    {"name": "status"},
                    {"name": "reviewCount"},
                ]
            },
            "status": {"enumValues": [{"name": "ACTIVE"}]},
            "audit": None,
        }
    }
    assert response == expected


async def test_an_inaccessible_enum_value_from_a_subgraph_is_a_field_error(
    gateway: GatewayFactory,
) -> None:
    graph = subgraphs()
    graph["accounts"].query["me"]["status"] = "BANNED"
    client = await gateway(supergraph_sdl(FIXTURE), graph)
    response = await client.query("{ me { name status } }")
    assert response == {
        "errors": [
            {
                "message": 'Enum "Status" cannot represent value: "BANNED"',
                "path": ["me", "status"],
                "extensions": {"code": "INTERNAL_SERVER_ERROR"},
            }
        ],
        "data": {"me": {"name": "Ada", "status": None}},
    }
