"""The executor runs hand-built plans against mock subgraphs and shapes the response."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest
from graphql import build_schema, parse

from gateway.errors import SubgraphTimeout
from gateway.execution import Projection, execute_plan
from gateway.planner.plan import (
    ConditionNode,
    FetchNode,
    FieldSelection,
    FlattenNode,
    InlineFragmentSelection,
    ParallelNode,
    QueryPlan,
    SequenceNode,
    ValueSetter,
)
from gateway.transport import MockTransport, SubgraphResponse

if TYPE_CHECKING:
    from gateway.transport import SubgraphRequest
    from gateway.types import JSONObject

API_SCHEMA = build_schema(
    """
    type Query { me: User, users: [User!]!, topProducts: [Product], node: Node }
    interface Node { id: ID! }
    type User implements Node { id: ID!, name: String!, reviews: [Review!] }
    type Review { body: String!, product: Product }
    type Product implements Node { upc: ID!, id: ID!, name: String, price: Int! }
    """
)

USER_KEY = (
    InlineFragmentSelection(
        "User", (FieldSelection("__typename"), FieldSelection("id"))
    ),
)
PRODUCT_KEY = (
    InlineFragmentSelection(
        "Product", (FieldSelection("__typename"), FieldSelection("upc"))
    ),
)


def projection(query: str, operation_name: str | None = None) -> Projection:
    document = parse(query)
    operations = [d for d in document.definitions if d.kind == "operation_definition"]
    operation = next(
        o
        for o in operations
        if operation_name is None or (o.name and o.name.value == operation_name)
    )
    return Projection(API_SCHEMA, document, operation)  # type: ignore[arg-type]


def answers(*responses: JSONObject) -> MockTransport:
    queue = list(responses)

    def handler(request: SubgraphRequest) -> JSONObject:
        return queue.pop(0)

    return MockTransport(handler)


async def test_root_fetch_is_projected_in_the_clients_field_order() -> None:
    accounts = answers({"data": {"me": {"name": "Ada", "who": "1", "extra": 1}}})
    plan = QueryPlan(FetchNode("accounts", "{ me { name who: id } }"))
    response = await execute_plan(
        plan,
        projection("{ me { name who: id __typename } }"),
        {},
        {"accounts": accounts},
    )
    assert response == {
        "data": {"me": {"name": "Ada", "who": "1", "__typename": "User"}}
    }
    assert list(response["data"]["me"]) == ["name", "who", "__typename"]


async def test_entity_fetch_sends_unique_representations_and_merges_every_origin() -> (
    None
):
    accounts = answers(
        {
            "data": {
                "users": [
                    {"__typename": "User", "id": "1"},
                    {"__typename": "User", "id": "2"},
                    {"__typename": "User", "id": "1"},
                ]
            }
        }
    )
    reviews = answers(
        {
            "data": {
                "_entities": [
                    {"reviews": [{"body": "good"}]},
                    {"reviews": []},
                ]
            }
        }
    )
    plan = QueryPlan(
        SequenceNode(
            (
                FetchNode("accounts", "{ users { __typename id } }"),
                FlattenNode(
                    ("users", "@"),
                    FetchNode(
                        "reviews",
                        "query($representations:[_Any!]!){_entities(representations:"
                        "$representations){...on User{reviews{body}}}}",
                        requires=USER_KEY,
                    ),
                ),
            )
        )
    )
    response = await execute_plan(
        plan,
        projection("{ users { id reviews { body } } }"),
        {},
        {"accounts": accounts, "reviews": reviews},
    )
    assert reviews.requests[0].variables == {
        "representations": [
            {"__typename": "User", "id": "1"},
            {"__typename": "User", "id": "2"},
        ]
    }
    assert response == {
        "data": {
            "users": [
                {"id": "1", "reviews": [{"body": "good"}]},
                {"id": "2", "reviews": []},
                {"id": "1", "reviews": [{"body": "good"}]},
            ]
        }
    }


async def test_entity_error_paths_point_at_every_object_behind_the_representation() -> (
    None
):
    accounts = answers(
        {"data": {"users": [{"__typename": "User", "id": "1", "name": "A"}] * 2}}
    )
    reviews = answers(
        {
            "data": {"_entities": [{"reviews": None}]},
            "errors": [
                {
                    "message": "boom",
                    "path": ["_entities", 0, "reviews"],
                    "locations": [{"line": 1, "column": 2}],
                }
            ],
        }
    )
    plan = QueryPlan(
        SequenceNode(
            (
                FetchNode("accounts", "{ users { __typename id name } }"),
                FlattenNode(
                    ("users", "@"),
                    FetchNode("reviews", "...", requires=USER_KEY),
                ),
            )
        )
    )
    response = await execute_plan(
        plan,
        projection("{ users { name reviews { body } } }"),
        {},
        {"accounts": accounts, "reviews": reviews},
    )
    error = {
        "message": "boom",
        "extensions": {"code": "DOWNSTREAM_SERVICE_ERROR", "serviceName": "reviews"},
    }
    assert response == {
        "errors": [
            {**error, "path": ["users", 0, "reviews"]},
            {**error, "path": ["users", 1, "reviews"]},
        ],
        "data": {
            "users": [{"name": "A", "reviews": None}, {"name": "A", "reviews": None}]
        },
    }


async def test_null_in_non_null_field_bubbles_to_the_nearest_nullable_parent() -> None:
    accounts = answers({"data": {"me": {"id": "1", "name": None}}})
    plan = QueryPlan(FetchNode("accounts", "{ me { id name } }"))
    response = await execute_plan(
        plan, projection("{ me { id name } }"), {}, {"accounts": accounts}
    )
    assert response == {
        "errors": [
            {
                "message": "Cannot return null for non-nullable field User.name.",
                "path": ["me", "name"],
                "extensions": {"code": "NON_NULLABLE_FIELD_IS_NULL"},
            }
        ],
        "data": {"me": None},
    }


async def test_null_item_in_non_null_list_nulls_the_whole_data() -> None:
    accounts = answers({"data": {"users": [{"id": "1"}, None]}})
    plan = QueryPlan(FetchNode("accounts", "{ users { id } }"))
    response = await execute_plan(
        plan, projection("{ users { id } }"), {}, {"accounts": accounts}
    )
    assert response["data"] is None
    assert response["errors"][0]["path"] == ["users", 1]


async def test_failed_subgraph_gives_partial_data_and_an_error_with_its_name() -> None:
    def down(request: SubgraphRequest) -> JSONObject:
        raise ConnectionRefusedError("refused")

    accounts = answers({"data": {"me": {"id": "1", "name": "Ada"}}})
    plan = QueryPlan(
        ParallelNode(
            (
                FetchNode("accounts", "{ me { id name } }"),
                FetchNode("products", "{ topProducts { name } }"),
            )
        )
    )
    response = await execute_plan(
        plan,
        projection("{ me { name } topProducts { name } }"),
        {},
        {"accounts": accounts, "products": MockTransport(down)},
    )
    assert response == {
        "errors": [
            {
                "message": "Subgraph 'products' failed: refused",
                "extensions": {
                    "code": "SUBGRAPH_UNAVAILABLE",
                    "serviceName": "products",
                },
            }
        ],
        "data": {"me": {"name": "Ada"}, "topProducts": None},
    }


async def test_parallel_fetches_run_concurrently() -> None:
    both_started = asyncio.Event()
    started: list[str] = []

    async def handler(request: SubgraphRequest) -> JSONObject:
        started.append(request.subgraph)
        if len(started) == 2:
            both_started.set()
        await both_started.wait()
        if request.subgraph == "a":
            return {"data": {"me": {"id": "1"}}}
        return {"data": {"topProducts": []}}

    plan = QueryPlan(
        ParallelNode((FetchNode("a", "{ me { id } }"), FetchNode("b", "{ x }")))
    )
    transport = MockTransport(handler)
    response = await asyncio.wait_for(
        execute_plan(
            plan,
            projection("{ me { id } topProducts { name } }"),
            {},
            {"a": transport, "b": transport},
        ),
        timeout=5,
    )
    assert response == {"data": {"me": {"id": "1"}, "topProducts": []}}


async def test_fragments_resolve_by_typename_and_skip_include_use_variables() -> None:
    products = answers(
        {"data": {"node": {"__typename": "Product", "upc": "p", "name": "Lamp"}}}
    )
    plan = QueryPlan(FetchNode("products", "{ node { __typename id name } }"))
    query = """
      query($withName: Boolean!, $noId: Boolean!) {
        node {
          ... on User { name }
          ...P
          id @skip(if: $noId)
        }
      }
      fragment P on Product { name @include(if: $withName) upc: id }
    """
    response = await execute_plan(
        plan,
        projection(query),
        {"withName": True, "noId": True},
        {"products": products},
    )
    assert response == {"data": {"node": {"name": "Lamp", "upc": "p"}}}


async def test_condition_node_runs_the_branch_chosen_by_the_variable() -> None:
    accounts = answers({"data": {"me": {"id": "1"}}})
    plan = QueryPlan(ConditionNode("on", FetchNode("accounts", "{ me { id } }"), None))
    query = "query($on: Boolean!) { me @include(if: $on) { id } }"
    skipped = await execute_plan(plan, projection(query), {"on": False}, {})
    taken = await execute_plan(
        plan, projection(query), {"on": True}, {"accounts": accounts}
    )
    assert skipped == {"data": {}}
    assert taken == {"data": {"me": {"id": "1"}}}


async def test_input_rewrites_set_typename_for_interface_objects() -> None:
    products = answers(
        {"data": {"topProducts": [{"__typename": "Product", "upc": "1"}]}}
    )
    seen: list[JSONObject] = []

    def other(request: SubgraphRequest) -> JSONObject:
        seen.extend(request.variables["representations"])
        return {"data": {"_entities": [{"price": 3}]}}

    plan = QueryPlan(
        SequenceNode(
            (
                FetchNode("products", "{ topProducts { __typename upc } }"),
                FlattenNode(
                    ("topProducts", "@"),
                    FetchNode(
                        "prices",
                        "...",
                        requires=PRODUCT_KEY,
                        input_rewrites=(
                            ValueSetter(("... on Product", "__typename"), "Node"),
                        ),
                    ),
                ),
            )
        )
    )
    response = await execute_plan(
        plan,
        projection("{ topProducts { price } }"),
        {},
        {"products": products, "prices": MockTransport(other)},
    )
    assert seen == [{"__typename": "Node", "upc": "1"}]
    assert response == {"data": {"topProducts": [{"price": 3}]}}


async def test_timeout_becomes_subgraph_timeout_error() -> None:
    def slow(request: SubgraphRequest) -> JSONObject:
        raise SubgraphTimeout("accounts", 0.5)

    response = await execute_plan(
        QueryPlan(FetchNode("accounts", "{ me { id } }")),
        projection("{ me { id } }"),
        {},
        {"accounts": MockTransport(slow)},
    )
    assert response == {
        "errors": [
            {
                "message": "Subgraph 'accounts' failed: no response within 0.5s",
                "extensions": {"code": "SUBGRAPH_TIMEOUT", "serviceName": "accounts"},
            }
        ],
        "data": {"me": None},
    }


async def test_introspection_and_root_typename_are_answered_by_the_gateway() -> None:
    response = await execute_plan(
        QueryPlan(None),
        projection('{ __typename t: __type(name: "Review") { name kind } }'),
        {},
        {},
    )
    assert response == {
        "data": {"__typename": "Query", "t": {"name": "Review", "kind": "OBJECT"}}
    }


@pytest.mark.parametrize(
    ("entities", "code"),
    [
        ({"data": {"_entities": []}}, "SUBGRAPH_BAD_RESPONSE"),
        ({"data": {}}, "SUBGRAPH_BAD_RESPONSE"),
    ],
)
async def test_wrong_number_of_entities_is_a_bad_response(
    entities: JSONObject, code: str
) -> None:
    accounts = answers({"data": {"me": {"__typename": "User", "id": "1"}}})
    plan = QueryPlan(
        SequenceNode(
            (
                FetchNode("accounts", "{ me { __typename id } }"),
                FlattenNode(("me",), FetchNode("reviews", "...", requires=USER_KEY)),
            )
        )
    )
    response = await execute_plan(
        plan,
        projection("{ me { id reviews { body } } }"),
        {},
        {"accounts": accounts, "reviews": answers(entities)},
    )
    assert response["data"] == {"me": {"id": "1", "reviews": None}}
    assert response["errors"][0]["extensions"] == {
        "code": code,
        "serviceName": "reviews",
    }


async def test_response_is_a_subgraph_response_passthrough() -> None:
    accounts = MockTransport(lambda request: SubgraphResponse({"me": None}))
    response = await execute_plan(
        QueryPlan(FetchNode("accounts", "{ me { id } }")),
        projection("{ me { id } }"),
        {},
        {"accounts": accounts},
    )
    assert response == {"data": {"me": None}}
