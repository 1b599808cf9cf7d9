"""The executor walks a Flatten path on from the objects an earlier node collected
at a prefix of it, and forgets them when a merge above could have replaced them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphql import build_schema, parse

from gateway.execution import Projection, collect_objects, execute_plan
from gateway.planner.plan import (
    FetchNode,
    FieldSelection,
    FlattenNode,
    InlineFragmentSelection,
    QueryPlan,
    SequenceNode,
)
from gateway.transport import MockTransport

if TYPE_CHECKING:
    from gateway.transport import SubgraphRequest
    from gateway.types import JSONObject

SCHEMA = build_schema(
    "type Query { a: User } type User { id: ID!, name: String, friend: User }"
)
USER_KEY = (
    InlineFragmentSelection(
        "User", (FieldSelection("__typename"), FieldSelection("id"))
    ),
)
ENTITIES = (
    "query($representations: [_Any!]!) { _entities(representations: "
    "$representations) { ... on User { %s } } }"
)


def _entities(*results: JSONObject) -> MockTransport:
    def handler(request: SubgraphRequest) -> JSONObject:
        return {"data": {"_entities": list(results)}}

    return MockTransport(handler)


async def test_objects_that_appear_under_a_merged_key_are_collected_again() -> None:
    # a.friend is null when the first fetch at a.friend collects (nothing to
    # fetch for); the fetch at `a` then fills a.friend; the next fetch at a.friend
    # must find the new object, not the empty list collected before.
    plan = QueryPlan(
        SequenceNode(
            (
                FetchNode("root", "{ a { __typename id friend { id } } }"),
                FlattenNode(
                    ("a", "friend"),
                    FetchNode("names", ENTITIES % "name", requires=USER_KEY),
                ),
                FlattenNode(
                    ("a",),
                    FetchNode(
                        "friends",
                        ENTITIES % "friend { __typename id }",
                        requires=USER_KEY,
                    ),
                ),
                FlattenNode(
                    ("a", "friend"),
                    FetchNode("names2", ENTITIES % "name", requires=USER_KEY),
                ),
            )
        )
    )
    transports = {
        "root": MockTransport(
            lambda _: {"data": {"a": {"__typename": "User", "id": "1", "friend": None}}}
        ),
        "names": _entities({"name": "never asked"}),
        "friends": _entities({"friend": {"__typename": "User", "id": "2"}}),
        "names2": _entities({"name": "Bo"}),
    }
    document = parse("{ a { friend { id name } } }")
    projection = Projection(SCHEMA, document, document.definitions[0])  # type: ignore[arg-type]
    response = await execute_plan(plan, projection, {}, transports)
    assert response == {"data": {"a": {"friend": {"id": "2", "name": "Bo"}}}}
    assert transports["names"].requests == []
    assert len(transports["names2"].requests) == 1


def test_collect_objects_walks_lists_and_type_conditions_in_document_order() -> None:
    data: JSONObject = {
        "xs": [
            {"__typename": "A", "ys": [[{"v": 1}, None], {"v": 2}]},
            None,
            {"__typename": "B", "ys": [{"v": 3}]},
            {"__typename": "A", "ys": {"v": 4}},
        ]
    }
    objects, _ = collect_objects(data, ("xs", "@", "... on A", "ys", "@"))
    assert objects == [{"v": 1}, {"v": 2}, {"v": 4}]
    objects, _ = collect_objects(data, ("xs", "@", "... on A,B", "ys", "@"))
    assert objects == [{"v": 1}, {"v": 2}, {"v": 3}, {"v": 4}]
