"""Interfaces and unions whose members live in different subgraphs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.harness import Subgraph, fixture_sdl, supergraph_sdl

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

PERSON = {"__typename": "Person", "id": "p1", "displayName": "Ada", "age": 36}
BUSINESS = {
    "__typename": "Business",
    "id": "b1",
    "displayName": "Acme",
    "vatNumber": "V1",
}


def interfaces() -> dict[str, Subgraph]:
    fixture = "interfaces"
    return {
        "directory": Subgraph(
            fixture_sdl(fixture, "directory"),
            query={
                "node": lambda _, id: {"p1": PERSON, "b1": BUSINESS}.get(id),
                "members": [PERSON, BUSINESS],
            },
        ),
        "chat": Subgraph(
            fixture_sdl(fixture, "chat"),
            entities={"Person": [{"id": "p1", "online": True}]},
        ),
    }


INTERFACE_CASES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "interface fields on every member",
        "{ members { id displayName } }",
        {
            "data": {
                "members": [
                    {"id": "p1", "displayName": "Ada"},
                    {"id": "b1", "displayName": "Acme"},
                ]
            }
        },
    ),
    (
        "inline fragments pick fields by __typename",
        "{ members { __typename ... on Person { age } "
        "... on Business { vatNumber } } }",
        {
            "data": {
                "members": [
                    {"__typename": "Person", "age": 36},
                    {"__typename": "Business", "vatNumber": "V1"},
                ]
            }
        },
    ),
    (
        "a member field from another subgraph, only for that member",
        "{ members { displayName ... on Person { online } } }",
        {
            "data": {
                "members": [
                    {"displayName": "Ada", "online": True},
                    {"displayName": "Acme"},
                ]
            }
        },
    ),
    (
        "a fragment on an interface inside a fragment on another",
        '{ node(id: "p1") { id '
        "... on Member { displayName ... on Person { online } } } }",
        {"data": {"node": {"id": "p1", "displayName": "Ada", "online": True}}},
    ),
    (
        "a named fragment on the interface",
        '{ node(id: "b1") { ...M } } fragment M on Member { __typename displayName }',
        {"data": {"node": {"__typename": "Business", "displayName": "Acme"}}},
    ),
    (
        "an interface field that is null",
        '{ node(id: "zz") { id } }',
        {"data": {"node": None}},
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [c[1:] for c in INTERFACE_CASES],
    ids=[c[0] for c in INTERFACE_CASES],
)
async def test_interface(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    client = await gateway(supergraph_sdl("interfaces"), interfaces())
    assert await client.query(query) == expected


def unions() -> dict[str, Subgraph]:
    fixture = "unions"
    return {
        "directory": Subgraph(
            fixture_sdl(fixture, "directory"),
            query={
                "featured": [
                    {"__typename": "Event", "title": "Fair"},
                    {"__typename": "Person", "id": "p1", "name": "Ada"},
                ]
            },
            entities={
                "Person": [{"id": "p1", "name": "Ada"}],
                "Business": [{"id": "b1", "name": "Acme"}],
            },
        ),
        "search": Subgraph(
            fixture_sdl(fixture, "search"),
            query={
                "search": lambda _, term: (
                    [
                        {"__typename": "Business", "id": "b1"},
                        {"__typename": "Person", "id": "p1"},
                    ]
                    if term == "a"
                    else []
                )
            },
        ),
    }


UNION_CASES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "union members of one subgraph",
        "{ featured { __typename ... on Event { title } ... on Person { name } } }",
        {
            "data": {
                "featured": [
                    {"__typename": "Event", "title": "Fair"},
                    {"__typename": "Person", "name": "Ada"},
                ]
            }
        },
    ),
    (
        "union members resolved through entity jumps",
        '{ search(term: "a") { ... on Business { name } ... on Person { id name } } }',
        {
            "data": {
                "search": [
                    {"name": "Acme"},
                    {"id": "p1", "name": "Ada"},
                ]
            }
        },
    ),
    (
        "only __typename of union members",
        '{ search(term: "a") { __typename } }',
        {"data": {"search": [{"__typename": "Business"}, {"__typename": "Person"}]}},
    ),
    (
        "an empty union list",
        '{ search(term: "none") { __typename } }',
        {"data": {"search": []}},
    ),
    (
        "fragments for members the object is not select nothing",
        '{ search(term: "a") { ... on Person { id } } }',
        {"data": {"search": [{}, {"id": "p1"}]}},
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [c[1:] for c in UNION_CASES],
    ids=[c[0] for c in UNION_CASES],
)
async def test_union(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    client = await gateway(supergraph_sdl("unions"), unions())
    assert await client.query(query) == expected


def interface_object() -> dict[str, Subgraph]:
    fixture = "interface_object"
    return {
        "inventory": Subgraph(
            fixture_sdl(fixture, "inventory"),
            query={
                "media": [
                    {"__typename": "Book", "id": "m1", "title": "Dune", "pages": 412},
                    {
                        "__typename": "Movie",
                        "id": "m2",
                        "title": "Alien",
                        "minutes": 117,
                    },
                ]
            },
            entities={
                "Media": lambda rep: {
                    "m1": {
                        "__typename": "Book",
                        "id": "m1",
                        "title": "Dune",
                        "pages": 412,
                    },
                    "m2": {"__typename": "Movie", "id": "m2", "title": "Alien"},
                }.get(rep["id"]),
            },
        ),
        "reviews": Subgraph(
            fixture_sdl(fixture, "reviews"),
            entities={
                "Media": [
                    {"id": "m1", "reviewCount": 3},
                    {"id": "m2", "reviewCount": 0},
                ]
            },
        ),
    }


INTERFACE_OBJECT_CASES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "a field of an @interfaceObject on every implementation",
        "{ media { title reviewCount } }",
        {
            "data": {
                "media": [
                    {"title": "Dune", "reviewCount": 3},
                    {"title": "Alien", "reviewCount": 0},
                ]
            }
        },
    ),
    (
        "the real __typename, not the interface's",
        "{ media { __typename reviewCount } }",
        {
            "data": {
                "media": [
                    {"__typename": "Book", "reviewCount": 3},
                    {"__typename": "Movie", "reviewCount": 0},
                ]
            }
        },
    ),
    (
        "implementation fields next to the interface object's",
        "{ media { reviewCount ... on Book { pages } ... on Movie { minutes } } }",
        {
            "data": {
                "media": [
                    {"reviewCount": 3, "pages": 412},
                    {"reviewCount": 0, "minutes": 117},
                ]
            }
        },
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [c[1:] for c in INTERFACE_OBJECT_CASES],
    ids=[c[0] for c in INTERFACE_OBJECT_CASES],
)
async def test_interface_object(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    client = await gateway(supergraph_sdl("interface_object"), interface_object())
    assert await client.query(query) == expected
