"""Entity fetches of one wave to one subgraph share a request (EntityBatchNode):
the planner merges them, the executor sends one `_entities` request and merges
each entity back into the objects of every path that asked for it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql import build_schema, parse, validate

from gateway.execution import Projection, execute_plan
from gateway.planner import plan_operation
from gateway.planner.plan import (
    EntityBatchNode,
    FetchNode,
    FieldSelection,
    FlattenNode,
    InlineFragmentSelection,
    ParallelNode,
    QueryPlan,
    SequenceNode,
)
from gateway.supergraph import load_supergraph
from gateway.transport import MockTransport
from tests.unit.gateway.planner.conftest import FIXTURES

if TYPE_CHECKING:
    from gateway.transport import SubgraphRequest
    from gateway.types import JSONObject

SHOP = load_supergraph((FIXTURES / "supergraphs" / "shop.graphql").read_text())

USERS = {"1": {"name": "Ada"}, "2": {"name": "Alan"}}
PRODUCTS = {"p1": {"name": "Chair"}, "p2": {"name": "Lamp"}}
REVIEWS = [
    {"id": "r1", "body": "good", "author": "1", "product": "p1"},
    {"id": "r2", "body": "bad", "author": "2", "product": "p1"},
    {"id": "r3", "body": "fine", "author": "1", "product": "p2"},
]


def _review(review: dict[str, str]) -> JSONObject:
    return {
        "__typename": "Review",
        "id": review["id"],
        "body": review["body"],
        "author": {"__typename": "User", "id": review["author"]},
        "product": {"__typename": "Product", "upc": review["product"]},
    }


def _user_reviews(representation: JSONObject) -> JSONObject:
    if representation["__typename"] == "User":
        key = representation["id"]
        return {"reviews": [_review(r) for r in REVIEWS if r["author"] == key]}
    key = representation["upc"]
    return {"reviews": [_review(r) for r in REVIEWS if r["product"] == key]}


def _subgraphs() -> dict[str, MockTransport]:
    """Just enough of the shop's subgraphs for the queries below: any field the
    plan did not ask for is dropped by the projection."""

    def accounts(request: SubgraphRequest) -> JSONObject:
        if "representations" in request.variables:
            return {
                "data": {
                    "_entities": [
                        {"__typename": "User", **USERS[r["id"]]}
                        for r in request.variables["representations"]
                    ]
                }
            }
        users = [{"__typename": "User", "id": k, **v} for k, v in USERS.items()]
        return {"data": {"users": users}}

    def products(request: SubgraphRequest) -> JSONObject:
        if "representations" in request.variables:
            return {
                "data": {
                    "_entities": [
                        {"__typename": "Product", **PRODUCTS[r["upc"]]}
                        for r in request.variables["representations"]
                    ]
                }
            }
        tops = [{"__typename": "Product", "upc": k, **v} for k, v in PRODUCTS.items()]
        return {"data": {"topProducts": tops}}

    def reviews(request: SubgraphRequest) -> JSONObject:
        representations = request.variables["representations"]
        return {"data": {"_entities": [_user_reviews(r) for r in representations]}}

    return {
        "accounts": MockTransport(accounts),
        "products": MockTransport(products),
        "reviews": MockTransport(reviews),
    }


async def _run(query: str) -> tuple[QueryPlan, JSONObject, dict[str, MockTransport]]:
    document = parse(query)
    assert validate(SHOP.api_schema, document) == []
    plan = plan_operation(SHOP, document)
    operation = document.definitions[0]
    projection = Projection(SHOP.api_schema, document, operation)  # type: ignore[arg-type]
    transports = _subgraphs()
    response = await execute_plan(plan, projection, {}, transports)
    return plan, response, transports


async def test_sibling_entity_fetches_to_one_subgraph_share_one_request() -> None:
    query = "{ users { name reviews { body } } topProducts { name reviews { body } } }"
    plan, response, transports = await _run(query)
    # The plan still shows one fetch per path, as Apollo's planner would ...
    assert str(plan).count('Fetch(service: "reviews")') == 2
    assert isinstance(plan.node, SequenceNode)
    wave = plan.node.nodes[1]
    assert isinstance(wave, ParallelNode)
    # ... and runs one request for both.
    assert wave.batched is not None
    assert len(wave.batched) == 1
    batch = wave.batched[0]
    assert isinstance(batch, EntityBatchNode)
    assert [path for path, _ in batch.entries] == [("users", "@"), ("topProducts", "@")]
    (request,) = transports["reviews"].requests
    assert request.variables["representations"] == [
        {"__typename": "User", "id": "1"},
        {"__typename": "User", "id": "2"},
        {"__typename": "Product", "upc": "p1"},
        {"__typename": "Product", "upc": "p2"},
    ]
    assert "... on User" in request.query
    assert "... on Product" in request.query
    assert response == {
        "data": {
            "users": [
                {"name": "Ada", "reviews": [{"body": "good"}, {"body": "fine"}]},
                {"name": "Alan", "reviews": [{"body": "bad"}]},
            ],
            "topProducts": [
                {"name": "Chair", "reviews": [{"body": "good"}, {"body": "bad"}]},
                {"name": "Lamp", "reviews": [{"body": "fine"}]},
            ],
        }
    }


async def test_one_representation_for_an_object_found_at_two_paths() -> None:
    query = (
        "{ users { reviews { product { name } } }"
        " topProducts { reviews { product { name } author { name } } } }"
    )
    _, response, transports = await _run(query)
    # products: one root fetch, then one _entities request for the products under
    # both users' and top products' reviews, each product sent once.
    _root, entities = transports["products"].requests
    assert entities.variables["representations"] == [
        {"__typename": "Product", "upc": "p1"},
        {"__typename": "Product", "upc": "p2"},
    ]
    data: Any = response["data"]
    assert data["users"][0]["reviews"][1]["product"] == {"name": "Lamp"}
    assert data["topProducts"][0]["reviews"][1] == {
        "product": {"name": "Chair"},
        "author": {"name": "Alan"},
    }
    assert "errors" not in response


USER_KEY = (
    InlineFragmentSelection(
        "User", (FieldSelection("__typename"), FieldSelection("id"))
    ),
)


def _batched(batch: EntityBatchNode) -> ParallelNode:
    """A wave of one entity fetch per path of `batch`, run as `batch`."""
    fetches = tuple(FlattenNode(path, batch.node) for path, _ in batch.entries)
    return ParallelNode(fetches, batched=(batch,))


async def test_an_entity_merged_at_two_paths_is_not_shared_between_them() -> None:
    """Later fetches below each path write the same key with different values:
    neither may see the other's."""
    root = FetchNode("accounts", "{ a { __typename id } b { __typename id } }")
    batch = EntityBatchNode(
        ((("a",), USER_KEY), (("b",), USER_KEY)),
        FetchNode(
            "profiles",
            "query($representations: [_Any!]!) { _entities(representations: "
            "$representations) { ... on User { profile { id } } } }",
            requires=USER_KEY,
        ),
    )
    later = ParallelNode(
        (
            FlattenNode(("a", "profile"), FetchNode("one", "{ v }")),
            FlattenNode(("b", "profile"), FetchNode("two", "{ v }")),
        )
    )
    plan = QueryPlan(SequenceNode((root, _batched(batch), later)))
    seen: list[JSONObject] = []

    def profiles(request: SubgraphRequest) -> JSONObject:
        seen.extend(request.variables["representations"])
        return {"data": {"_entities": [{"profile": {"id": "x"}}]}}

    transports = {
        "accounts": MockTransport(
            lambda _: {
                "data": {
                    "a": {"__typename": "User", "id": "1"},
                    "b": {"__typename": "User", "id": "1"},
                }
            }
        ),
        "profiles": MockTransport(profiles),
        "one": MockTransport(lambda _: {"data": {"v": "from one"}}),
        "two": MockTransport(lambda _: {"data": {"v": "from two"}}),
    }
    schema = build_schema(
        "type Query { a: User, b: User }"
        " type User { id: ID!, profile: Profile } type Profile { id: ID!, v: String }"
    )
    document = parse("{ a { profile { v } } b { profile { v } } }")
    projection = Projection(schema, document, document.definitions[0])  # type: ignore[arg-type]
    response = await execute_plan(plan, projection, {}, transports)
    assert seen == [{"__typename": "User", "id": "1"}]
    assert response == {
        "data": {
            "a": {"profile": {"v": "from one"}},
            "b": {"profile": {"v": "from two"}},
        }
    }


async def test_an_entity_error_is_reported_at_the_path_of_its_object() -> None:
    root = FetchNode("accounts", "{ a { __typename id } b { __typename id } }")
    batch = EntityBatchNode(
        ((("a",), USER_KEY), (("b",), USER_KEY)),
        FetchNode(
            "profiles",
            "query($representations: [_Any!]!) { _entities(representations: "
            "$representations) { ... on User { name } } }",
            requires=USER_KEY,
        ),
    )
    plan = QueryPlan(SequenceNode((root, _batched(batch))))
    transports = {
        "accounts": MockTransport(
            lambda _: {
                "data": {
                    "a": {"__typename": "User", "id": "1"},
                    "b": {"__typename": "User", "id": "2"},
                }
            }
        ),
        "profiles": MockTransport(
            lambda _: {
                "data": {"_entities": [{"name": "Ada"}, None]},
                "errors": [{"message": "gone", "path": ["_entities", 1, "name"]}],
            }
        ),
    }
    schema = build_schema(
        "type Query { a: User, b: User } type User { id: ID!, name: String }"
    )
    document = parse("{ a { name } b { name } }")
    projection = Projection(schema, document, document.definitions[0])  # type: ignore[arg-type]
    response = await execute_plan(plan, projection, {}, transports)
    assert response["data"] == {"a": {"name": "Ada"}, "b": {"name": None}}
    errors: Any = response["errors"]
    assert [e["path"] for e in errors] == [["b", "name"]]
