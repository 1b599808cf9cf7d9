"""Leaf values (enums, custom scalars, input objects) carried through unchanged."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.harness import Subgraph, fixture_sdl, supergraph_sdl

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory


def enums() -> dict[str, Subgraph]:
    fixture = "enums"
    return {
        "a": Subgraph(
            fixture_sdl(fixture, "a"),
            query={
                "colorOf": lambda _, name=None: {"grass": "GREEN"}.get(
                    name or "", "RED"
                ),
                "sizes": lambda _, of=None: [of] if of else ["S", "M"],
                "grade": lambda _, g=None: f"grade {g}",
            },
        ),
        "b": Subgraph(
            fixture_sdl(fixture, "b"),
            query={
                "favoriteColor": "BLUE",
                "passing": lambda _, g=None: g == "A",
            },
        ),
    }


SCALAR_CASES: list[tuple[str, str, dict[str, Any] | None, dict[str, Any]]] = [
    (
        "enum values from two subgraphs",
        '{ colorOf(name: "grass") favoriteColor }',
        None,
        {"data": {"colorOf": "GREEN", "favoriteColor": "BLUE"}},
    ),
    (
        "enum argument as a literal",
        "{ sizes(of: M) grade(g: B) }",
        None,
        {"data": {"sizes": ["M"], "grade": "grade B"}},
    ),
    (
        "enum argument through a variable",
        "query($g: Grade) { passing(g: $g) }",
        {"g": "A"},
        {"data": {"passing": True}},
    ),
    (
        "list of enums",
        "{ sizes }",
        None,
        {"data": {"sizes": ["S", "M"]}},
    ),
]


@pytest.mark.parametrize(
    ("query", "variables", "expected"),
    [c[1:] for c in SCALAR_CASES],
    ids=[c[0] for c in SCALAR_CASES],
)
async def test_enums(
    gateway: GatewayFactory,
    query: str,
    variables: dict[str, Any] | None,
    expected: dict[str, Any],
) -> None:
    client = await gateway(supergraph_sdl("enums"), enums())
    assert await client.query(query, variables) == expected


async def test_custom_scalars_pass_through_untouched(gateway: GatewayFactory) -> None:
    fixture = "custom_scalars"
    config = {"flags": [1, "two", None], "nested": {"ok": True}}
    graph = {
        "a": Subgraph(
            fixture_sdl(fixture, "a"),
            query={"startedAt": "2026-11-22T04:00:00Z", "old": "legacy"},
        ),
        "b": Subgraph(
            fixture_sdl(fixture, "b"),
            query={"now": "2026-11-22T05:00:00Z", "config": config},
        ),
    }
    client = await gateway(supergraph_sdl(fixture), graph)
    response = await client.query("{ startedAt now config old }")
    assert response == {
        "data": {
            "startedAt": "2026-11-22T04:00:00Z",
            "now": "2026-11-22T05:00:00Z",
            "config": config,
            "old": "legacy",
        }
    }


async def test_input_objects_and_defaults_reach_the_subgraph(
    gateway: GatewayFactory,
) -> None:
    fixture = "inputs_and_arguments"

    def users(
        _: Any, first: int, filter: dict[str, Any] | None = None, **__: Any
    ) -> list[str]:
        return [f"first={first} filter={sorted((filter or {}).items())}"]

    graph = {
        "a": Subgraph(fixture_sdl(fixture, "a"), query={"users": users}),
        "b": Subgraph(fixture_sdl(fixture, "b"), query={"users": users}),
    }
    client = await gateway(supergraph_sdl(fixture), graph)
    response = await client.query(
        "query($f: UserFilter) { users(filter: $f, first: 2) }",
        {"f": {"name": "ada", "active": True}},
    )
    assert response == {
        "data": {"users": ["first=2 filter=[('active', True), ('name', 'ada')]"]}
    }
