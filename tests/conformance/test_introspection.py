"""Introspection (`__schema`, `__type`, `__typename`) answered by the gateway from
the API schema, never by a subgraph."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from graphql import (
    ExecutionResult,
    experimental_execute_incrementally,
    get_introspection_query,
    parse,
)

from gateway.supergraph import load_supergraph
from tests.conformance.harness import Subgraph, fixture_sdl, supergraph_sdl

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory


def single() -> dict[str, Subgraph]:
    return {
        "accounts": Subgraph(
            fixture_sdl("single_subgraph", "accounts"),
            query={"me": {"__typename": "User", "id": "1", "name": "Ada"}},
        )
    }


INTROSPECTION_CASES: list[tuple[str, str, dict[str, Any] | None, dict[str, Any]]] = [
    (
        "the API schema's types, without join or link machinery",
        "{ __schema { queryType { name } mutationType { name } types { name } } }",
        None,
        {
            "data": {
                "__schema": {
                    "queryType": {"name": "Query"},
                    "mutationType": None,
                    "types": [
                        {"name": n}
                        for n in [
                            "Query",
                            "ID",
                            "User",
                            "String",
                            "Boolean",
                            "__Schema",
                            "__Type",
                            "__TypeKind",
                            "__Field",
                            "__InputValue",
                            "__EnumValue",
                            "__Directive",
                            "__DirectiveLocation",
                        ]
                    ],
                }
            }
        },
    ),
    (
        "__type with field types",
        '{ __type(name: "User") { kind name fields { name type { kind ofType '
        "{ name } } } } }",
        None,
        {
            "data": {
                "__type": {
                    "kind": "OBJECT",
                    "name": "User",
                    "fields": [
                        {
                            "name": "id",
                            "type": {"kind": "NON_NULL", "ofType": {"name": "ID"}},
                        },
                        {
                            "name": "name",
                            "type": {"kind": "NON_NULL", "ofType": {"name": "String"}},
                        },
                    ],
                }
            }
        },
    ),
    (
        "join types are not visible",
        '{ __type(name: "join__Graph") { name } }',
        None,
        {"data": {"__type": None}},
    ),
    (
        "__type by a variable, next to a subgraph field",
        "query($t: String!) { me { name } t: __type(name: $t) { name } }",
        {"t": "Query"},
        {"data": {"me": {"name": "Ada"}, "t": {"name": "Query"}}},
    ),
    (
        "introspection inside a fragment on the root",
        "{ ...Root } fragment Root on Query { __schema { queryType { name } } }",
        None,
        {"data": {"__schema": {"queryType": {"name": "Query"}}}},
    ),
    (
        "__typename alone needs no subgraph",
        "{ __typename }",
        None,
        {"data": {"__typename": "Query"}},
    ),
]


@pytest.mark.parametrize(
    ("query", "variables", "expected"),
    [c[1:] for c in INTROSPECTION_CASES],
    ids=[c[0] for c in INTROSPECTION_CASES],
)
async def test_introspection(
    gateway: GatewayFactory,
    query: str,
    variables: dict[str, Any] | None,
    expected: dict[str, Any],
) -> None:
    graph = single()
    client = await gateway(supergraph_sdl("single_subgraph"), graph)
    assert await client.query(query, variables) == expected
    if "me" not in query:
        assert graph["accounts"].requests == []


async def test_the_full_introspection_query_matches_the_api_schema(
    gateway: GatewayFactory,
) -> None:
    sdl = supergraph_sdl("inaccessible")
    api_schema = load_supergraph(sdl).api_schema
    client = await gateway(sdl, {})
    query = get_introspection_query(descriptions=True)
    response = await client.query(query)
    # graphql-core runs a schema declaring @defer through its incremental entry.
    expected = experimental_execute_incrementally(api_schema, parse(query))
    assert isinstance(expected, ExecutionResult)
    assert response == expected.formatted
