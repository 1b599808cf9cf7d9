"""@override, including progressive override labels."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.config import load_config
from tests.conformance.harness import Subgraph, fixture_sdl, supergraph_sdl

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory


def override_graph() -> dict[str, Subgraph]:
    fixture = "override"
    return {
        "accounts": Subgraph(
            fixture_sdl(fixture, "accounts"),
            query={
                "me": {
                    "__typename": "User",
                    "id": "1",
                    "name": "Ada",
                    "email": "old@accounts",
                }
            },
        ),
        "profiles": Subgraph(
            fixture_sdl(fixture, "profiles"),
            entities={"User": [{"id": "1", "email": "new@profiles", "bio": "Poet"}]},
        ),
    }


async def test_overridden_field_comes_from_the_overriding_subgraph(
    gateway: GatewayFactory,
) -> None:
    client = await gateway(supergraph_sdl("override"), override_graph())
    response = await client.query("{ me { name email } }")
    assert response == {"data": {"me": {"name": "Ada", "email": "new@profiles"}}}


async def test_fields_not_overridden_stay_with_their_owner(
    gateway: GatewayFactory,
) -> None:
    graph = override_graph()
    client = await gateway(supergraph_sdl("override"), graph)
    response = await client.query("{ me { id name } }")
    assert response == {"data": {"me": {"id": "1", "name": "Ada"}}}
    assert graph["profiles"].requests == []


async def test_override_and_new_field_in_one_jump(gateway: GatewayFactory) -> None:
    graph = override_graph()
    client = await gateway(supergraph_sdl("override"), graph)
    response = await client.query("{ me { bio email } }")
    assert response == {"data": {"me": {"bio": "Poet", "email": "new@profiles"}}}
    assert len(graph["profiles"].requests) == 1


def progressive_graph() -> dict[str, Subgraph]:
    fixture = "override_progressive"
    return {
        "accounts": Subgraph(
            fixture_sdl(fixture, "accounts"),
            query={"me": {"__typename": "User", "id": "1", "name": "from accounts"}},
        ),
        "profiles": Subgraph(
            fixture_sdl(fixture, "profiles"),
            entities={"User": [{"id": "1", "name": "from profiles"}]},
        ),
    }


async def test_progressive_override_label_enabled_in_settings_always_applies(
    gateway: GatewayFactory,
) -> None:
    config = load_config(environ={}, values={"override_labels": ["percent(25)"]})
    client = await gateway(
        supergraph_sdl("override_progressive"), progressive_graph(), config=config
    )
    for _ in range(5):
        assert await client.query("{ me { name } }") == {
            "data": {"me": {"name": "from profiles"}}
        }


async def test_progressive_override_percent_is_drawn_per_request(
    gateway: GatewayFactory,
) -> None:
    client = await gateway(supergraph_sdl("override_progressive"), progressive_graph())
    names = [
        (await client.query("{ me { name } }"))["data"]["me"]["name"]
        for _ in range(100)
    ]
    # percent(25): both owners answer some requests (chance of either missing in
    # 100 draws is below 1e-12).
    assert set(names) == {"from accounts", "from profiles"}
