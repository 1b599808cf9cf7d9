"""GraphQL spec 6.4.4 on merged data: a null in a non-null position makes the
nearest nullable parent null, with one error at the null's path."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.conformance.harness import Subgraph, fixture_sdl, supergraph_sdl

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

FIXTURE = "entity_across_subgraphs"
ME = {"data": {"me": {"__typename": "User", "id": "1", "name": "Ada"}}}


def graph(
    accounts: list[dict[str, Any]], reviews: list[dict[str, Any]]
) -> dict[str, Subgraph]:
    return {
        "accounts": Subgraph(fixture_sdl(FIXTURE, "accounts"), responses=accounts),
        "reviews": Subgraph(fixture_sdl(FIXTURE, "reviews"), responses=reviews),
    }


def null_error(field: str, path: list[str | int]) -> dict[str, Any]:
    return {
        "message": f"Cannot return null for non-nullable field {field}.",
        "path": path,
        "extensions": {"code": "NON_NULLABLE_FIELD_IS_NULL"},
    }


async def test_nullable_null_stays_null_without_error(gateway: GatewayFactory) -> None:
    reviews = [{"data": {"_entities": [{"reviews": [{"body": "b", "rating": None}]}]}}]
    client = await gateway(supergraph_sdl(FIXTURE), graph([ME], reviews))
    response = await client.query("{ me { reviews { rating } } }")
    assert response == {"data": {"me": {"reviews": [{"rating": None}]}}}


async def test_null_in_non_null_field_nulls_its_nullable_parent(
    gateway: GatewayFactory,
) -> None:
    accounts = [{"data": {"me": {"__typename": "User", "id": "1", "name": None}}}]
    client = await gateway(supergraph_sdl(FIXTURE), graph(accounts, []))
    response = await client.query("{ me { id name } }")
    assert response == {
        "errors": [null_error("User.name", ["me", "name"])],
        "data": {"me": None},
    }


async def test_null_list_item_bubbles_through_non_null_list_to_nullable_parent(
    gateway: GatewayFactory,
) -> None:
    reviews = [
        {
            "data": {
                "_entities": [
                    {
                        "reviews": [
                            {"body": "ok", "rating": 1},
                            {"body": None, "rating": 2},
                        ]
                    }
                ]
            }
        }
    ]
    client = await gateway(supergraph_sdl(FIXTURE), graph([ME], reviews))
    response = await client.query("{ me { name reviews { body rating } } }")
    assert response == {
        "errors": [null_error("Review.body", ["me", "reviews", 1, "body"])],
        "data": {"me": None},
    }


async def test_null_bubbles_only_as_far_as_the_first_nullable_field(
    gateway: GatewayFactory,
) -> None:
    accounts = [{"data": {"me": {"name": "A"}, "other": {"id": None}}}]
    client = await gateway(supergraph_sdl(FIXTURE), graph(accounts, []))
    response = await client.query("{ me { name } other: me { id } }")
    assert response == {
        "errors": [null_error("User.id", ["other", "id"])],
        "data": {"me": {"name": "A"}, "other": None},
    }


async def test_an_error_the_subgraph_already_reported_is_not_repeated(
    gateway: GatewayFactory,
) -> None:
    accounts = [
        {
            "data": {"me": {"__typename": "User", "id": "1", "name": None}},
            "errors": [{"message": "name unavailable", "path": ["me", "name"]}],
        }
    ]
    client = await gateway(supergraph_sdl(FIXTURE), graph(accounts, []))
    response = await client.query("{ me { name } }")
    assert response == {
        "errors": [
            {
                "message": "name unavailable",
                "path": ["me", "name"],
                "extensions": {
                    "code": "DOWNSTREAM_SERVICE_ERROR",
                    "serviceName": "accounts",
                },
            }
        ],
        "data": {"me": None},
    }


async def test_missing_entity_data_nulls_the_non_null_field_and_bubbles(
    gateway: GatewayFactory,
) -> None:
    reviews = [{"data": {"_entities": [None]}}]
    client = await gateway(supergraph_sdl(FIXTURE), graph([ME], reviews))
    response = await client.query("{ me { name reviews { body } } }")
    assert response == {
        "errors": [null_error("User.reviews", ["me", "reviews"])],
        "data": {"me": None},
    }


async def test_non_null_root_field_nulls_data(gateway: GatewayFactory) -> None:
    fixture = "enums"
    a = Subgraph(fixture_sdl(fixture, "a"), responses=[{"data": {"sizes": None}}])
    b = Subgraph(fixture_sdl(fixture, "b"))
    client = await gateway(supergraph_sdl(fixture), {"a": a, "b": b})
    response = await client.query("{ sizes }")
    assert response == {"errors": [null_error("Query.sizes", ["sizes"])], "data": None}
