"""@shareable value types and fields resolved by more than one subgraph."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.conformance.harness import Subgraph, fixture_sdl, supergraph_sdl

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory


def value_types() -> dict[str, Subgraph]:
    fixture = "shareable_value_types"
    return {
        "a": Subgraph(
            fixture_sdl(fixture, "a"), query={"position": {"x": 1, "y": 2, "z": None}}
        ),
        "b": Subgraph(
            fixture_sdl(fixture, "b"), query={"origin": {"x": 0, "y": 0, "z": 0}}
        ),
    }


async def test_a_shared_value_type_from_two_subgraphs_in_one_query(
    gateway: GatewayFactory,
) -> None:
    graph = value_types()
    client = await gateway(supergraph_sdl("shareable_value_types"), graph)
    response = await client.query("{ position { x y z } origin { z y x } }")
    assert response == {
        "data": {
            "position": {"x": 1, "y": 2, "z": None},
            "origin": {"z": 0, "y": 0, "x": 0},
        }
    }
    assert len(graph["a"].requests) == 1
    assert len(graph["b"].requests) == 1


async def test_shareable_fields_come_from_the_subgraph_already_fetched(
    gateway: GatewayFactory,
) -> None:
    graph = value_types()
    client = await gateway(supergraph_sdl("shareable_value_types"), graph)
    assert await client.query("{ origin { x } }") == {"data": {"origin": {"x": 0}}}
    assert graph["a"].requests == []


def subtyping() -> dict[str, Subgraph]:
    fixture = "field_type_subtyping"
    user = {"__typename": "User", "id": "1", "name": "Ada", "tags": ["x"]}
    return {
        "a": Subgraph(fixture_sdl(fixture, "a"), query={"user": user}),
        "b": Subgraph(fixture_sdl(fixture, "b"), query={"user": user}),
    }


async def test_a_shareable_root_field_is_fetched_from_one_subgraph_only(
    gateway: GatewayFactory,
) -> None:
    graph = subtyping()
    client = await gateway(supergraph_sdl("field_type_subtyping"), graph)
    response = await client.query("{ user { id name tags } }")
    assert response == {"data": {"user": {"id": "1", "name": "Ada", "tags": ["x"]}}}
    assert len(graph["a"].requests) + len(graph["b"].requests) == 1
