"""@provides: fields a subgraph provides along a path need no entity jump."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.conformance.harness import Subgraph, fixture_sdl, supergraph_sdl

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

FIXTURE = "provides"


def subgraphs() -> dict[str, Subgraph]:
    return {
        "accounts": Subgraph(
            fixture_sdl(FIXTURE, "accounts"),
            query={"me": {"__typename": "User", "id": "1", "username": "ada"}},
            entities={
                "User": [
                    {"id": "1", "username": "ada"},
                    {"id": "2", "username": "grace-from-accounts"},
                ]
            },
        ),
        "reviews": Subgraph(
            fixture_sdl(FIXTURE, "reviews"),
            query={
                "reviews": [
                    {
                        "id": "r1",
                        "author": {
                            "__typename": "User",
                            "id": "2",
                            "username": "grace",
                        },
                    },
                ]
            },
        ),
    }


async def test_provided_field_is_read_from_the_providing_subgraph(
    gateway: GatewayFactory,
) -> None:
    graph = subgraphs()
    client = await gateway(supergraph_sdl(FIXTURE), graph)
    response = await client.query("{ reviews { id author { id username } } }")
    assert response == {
        "data": {"reviews": [{"id": "r1", "author": {"id": "2", "username": "grace"}}]}
    }
    assert graph["accounts"].requests == []


async def test_shareable_field_outside_the_provides_path_comes_from_its_owner(
    gateway: GatewayFactory,
) -> None:
    graph = subgraphs()
    client = await gateway(supergraph_sdl(FIXTURE), graph)
    response = await client.query("{ me { username } }")
    assert response == {"data": {"me": {"username": "ada"}}}
    assert graph["reviews"].requests == []


async def test_provided_and_root_fields_in_one_operation(
    gateway: GatewayFactory,
) -> None:
    client = await gateway(supergraph_sdl(FIXTURE), subgraphs())
    response = await client.query(
        "{ me { id } reviews { author { username __typename } } }"
    )
    assert response == {
        "data": {
            "me": {"id": "1"},
            "reviews": [{"author": {"username": "grace", "__typename": "User"}}],
        }
    }
