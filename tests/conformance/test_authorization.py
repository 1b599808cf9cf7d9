"""@authenticated, @requiresScopes and @policy: what the client sees.

The Apollo Router's answer: unauthorized fields are removed before planning, answer
null (a non-null one nulls its parent), and each has an UNAUTHORIZED_FIELD_OR_TYPE
error with its path; when nothing is left, `data` is null and no subgraph is called.
`serve` below is the gateway's pipeline cut to what authorization touches: plan the
filtered document, project the data onto the client's own.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from graphql import get_operation_ast, parse, validate

from gateway.execution import execute_plan
from gateway.execution.projection import Projection
from gateway.planner import plan_operation
from gateway.policy import (
    AuthorizationRules,
    Grants,
    add_authorization_errors,
    authorization_rules,
    authorize_operation,
    unauthorized_response,
)
from gateway.supergraph import Supergraph, load_supergraph
from gateway.transport import AsgiTransport
from tests.conformance.harness import (
    Subgraph,
    fixture_sdl,
    subgraph_app,
    supergraph_sdl,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

ANONYMOUS = Grants()
SIGNED_IN = Grants(authenticated=True)
UNAUTHORIZED = {"code": "UNAUTHORIZED_FIELD_OR_TYPE"}


@cache
def _supergraph() -> tuple[Supergraph, AuthorizationRules]:
    supergraph = load_supergraph(supergraph_sdl("authorization"))
    return supergraph, authorization_rules(supergraph)


async def serve(
    subgraphs: Mapping[str, Subgraph],
    query: str,
    grants: Grants,
    *,
    dry_run: bool = False,
) -> dict[str, Any]:
    supergraph, rules = _supergraph()
    document = parse(query)
    assert validate(supergraph.api_schema, document) == []
    result = authorize_operation(rules, document, None, grants, dry_run=dry_run)
    if result.document is None:
        return unauthorized_response(result)
    operation = get_operation_ast(document)
    assert operation is not None
    plan = plan_operation(supergraph, result.document)
    projection = Projection(supergraph.api_schema, document, operation)
    transports = {
        name: AsgiTransport(name, subgraph_app(subgraph), timeout=5.0)
        for name, subgraph in subgraphs.items()
    }
    response = await execute_plan(plan, projection, {}, transports)
    return add_authorization_errors(response, result)


def _unauthorized(*path: str) -> dict[str, Any]:
    return {
        "message": "Unauthorized field or type",
        "path": list(path),
        "extensions": UNAUTHORIZED,
    }


ADA = {
    "__typename": "User",
    "id": "1",
    "name": "Ada",
    "email": "ada@example.com",
    "phone": "555-0100",
}
STAFF = {"__typename": "Staff", "id": "s1", "name": "Grace"}
ORDER = {
    "__typename": "Order",
    "id": "o1",
    "sku": "TEA",
    "total": 12,
    "buyer": {"id": "1"},
}


def _subgraphs() -> dict[str, Subgraph]:
    accounts = Subgraph(
        sdl=fixture_sdl("authorization", "accounts"),
        query={
            "me": ADA,
            "user": lambda _, id: ADA if id == "1" else None,
            "node": lambda _, id: {"1": ADA, "s1": STAFF}.get(id),
            "search": [ADA, STAFF],
            "staff": [STAFF],
        },
        entities={"User": [ADA]},
    )
    orders = Subgraph(
        sdl=fixture_sdl("authorization", "orders"),
        query={"recentOrders": [ORDER]},
        mutation={"ping": "pong", "placeOrder": lambda _, sku: {**ORDER, "sku": sku}},
        entities={
            "User": [{"id": "1", "orders": [ORDER]}],
            "Order": [ORDER],
        },
    )
    return {"accounts": accounts, "orders": orders}


def _queries(subgraph: Subgraph) -> list[str]:
    return [" ".join(request["query"].split()) for request in subgraph.requests]


async def test_removed_fields_answer_null_with_an_error_at_each_path() -> None:
    subgraphs = _subgraphs()
    response = await serve(
        subgraphs, '{ user(id: "1") { id name email orders { id } } }', ANONYMOUS
    )
    assert response == {
        "errors": [
            _unauthorized("user", "email"),
            _unauthorized("user", "orders"),
        ],
        "data": {"user": {"id": "1", "name": "Ada", "email": None, "orders": None}},
    }
    assert _queries(subgraphs["accounts"]) == ['{ user(id: "1") { id name } }']
    assert subgraphs["orders"].requests == []


async def test_a_removed_non_null_field_nulls_its_parent_with_one_error() -> None:
    response = await serve(_subgraphs(), '{ user(id: "1") { name phone } }', ANONYMOUS)
    assert response == {
        "errors": [_unauthorized("user", "phone")],
        "data": {"user": None},
    }


async def test_nothing_left_answers_data_null_without_calling_a_subgraph() -> None:
    # The fragment doubling, sent without a token.
    fragments = " ".join(
        f"fragment F{k} on User {{ ...F{k - 1} ...F{k - 1} }}" for k in range(1, 41)
    )
    subgraphs = _subgraphs()
    response = await serve(
        subgraphs,
        f"{{ me {{ ...F40 }} }} fragment F0 on User {{ id name }} {fragments}",
        ANONYMOUS,
    )
    assert response == {"errors": [_unauthorized("me")], "data": None}
    assert subgraphs["accounts"].requests == subgraphs["orders"].requests == []


async def test_a_caller_meeting_the_requirements_gets_everything() -> None:
    subgraphs = _subgraphs()
    grants = Grants(authenticated=True, scopes=frozenset({"read:email"}))
    response = await serve(
        subgraphs, '{ user(id: "1") { name email phone orders { id } } }', grants
    )
    assert response == {
        "data": {
            "user": {
                "name": "Ada",
                "email": "ada@example.com",
                "phone": "555-0100",
                "orders": [{"id": "o1"}],
            }
        }
    }


async def test_requirements_behind_an_entity_jump_are_checked_too() -> None:
    subgraphs = _subgraphs()
    grants = Grants(authenticated=True, scopes=frozenset({"orders:read"}))
    response = await serve(
        subgraphs, "{ recentOrders { id total buyer { name email } } }", grants
    )
    assert response == {
        "errors": [
            _unauthorized("recentOrders", "@", "buyer", "email"),
            _unauthorized("recentOrders", "@", "total"),
        ],
        "data": {
            "recentOrders": [
                {"id": "o1", "total": None, "buyer": {"name": "Ada", "email": None}}
            ]
        },
    }
    [entities] = subgraphs["accounts"].requests
    assert "email" not in entities["query"]


async def test_a_fragment_on_a_policy_type_is_removed_from_union_items() -> None:
    query = "{ search { __typename ... on User { name } ... on Staff { name } } }"
    response = await serve(_subgraphs(), query, ANONYMOUS)
    assert response == {
        "errors": [_unauthorized("search", "@", "... on Staff")],
        "data": {
            "search": [
                {"__typename": "User", "name": "Ada"},
                {"__typename": "Staff", "name": None},
            ]
        },
    }
    granted = Grants(policies=frozenset({"staff_directory"}))
    assert await serve(_subgraphs(), query, granted) == {
        "data": {
            "search": [
                {"__typename": "User", "name": "Ada"},
                {"__typename": "Staff", "name": "Grace"},
            ]
        }
    }


async def test_an_interface_takes_the_policy_of_an_implementation() -> None:
    # Composition put Staff's @policy on Node: every `node` field needs it.
    query = '{ node(id: "s1") { __typename ... on Staff { name } } }'
    assert await serve(_subgraphs(), query, SIGNED_IN) == {
        "errors": [_unauthorized("node")],
        "data": None,
    }
    granted = Grants(policies=frozenset({"staff_directory"}))
    assert await serve(_subgraphs(), query, granted) == {
        "data": {"node": {"__typename": "Staff", "name": "Grace"}}
    }


async def test_a_removed_mutation_field_is_not_sent_and_the_rest_runs() -> None:
    subgraphs = _subgraphs()
    response = await serve(
        subgraphs, 'mutation { ping placeOrder(sku: "TEA") { id } }', ANONYMOUS
    )
    assert response == {
        "errors": [_unauthorized("placeOrder")],
        "data": {"ping": "pong", "placeOrder": None},
    }
    assert _queries(subgraphs["orders"]) == ["mutation { ping }"]


async def test_a_dry_run_serves_everything_and_reports_what_it_would_remove() -> None:
    subgraphs = _subgraphs()
    response = await serve(
        subgraphs, '{ user(id: "1") { name email } }', ANONYMOUS, dry_run=True
    )
    assert response == {
        "errors": [_unauthorized("user", "email")],
        "data": {"user": {"name": "Ada", "email": "ada@example.com"}},
    }
