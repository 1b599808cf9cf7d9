"""Operations the planner cannot serve fail with a PlanningError naming the cause."""

from __future__ import annotations

import pytest
from graphql import parse

from gateway.errors import PlanningError
from gateway.planner import plan_operation
from gateway.supergraph import load_supergraph

from .conftest import FIXTURES, supergraph

UNREACHABLE = (
    (FIXTURES / "supergraphs" / "keys.graphql")
    .read_text()
    .replace(
        '@join__type(graph: BILLING, key: "barcode")',
        '@join__type(graph: BILLING, key: "barcode", resolvable: false)',
    )
)


def test_unknown_operation_name_is_a_planning_error() -> None:
    with pytest.raises(PlanningError, match="no operation 'Missing'"):
        plan_operation(supergraph("shop"), parse("query Q { me { id } }"), "Missing")


def test_field_behind_an_unresolvable_key_is_a_planning_error() -> None:
    graph = load_supergraph(UNREACHABLE)
    with pytest.raises(PlanningError, match=r"Sku\.unitPrice") as raised:
        plan_operation(graph, parse("{ skus { unitPrice } }"))
    assert raised.value.code == "QUERY_PLANNING_FAILED"


def test_field_no_subgraph_resolves_is_a_planning_error() -> None:
    sdl = (FIXTURES / "supergraphs" / "shop.graphql").read_text()
    sdl = sdl.replace(
        "inStock: Boolean @join__field(graph: INVENTORY)",
        "inStock: Boolean @join__field",
    )
    with pytest.raises(PlanningError, match="No subgraph can resolve field 'inStock'"):
        plan_operation(load_supergraph(sdl), parse("{ topProducts { inStock } }"))


def test_an_external_key_field_of_a_defined_type_is_not_resolvable_there() -> None:
    # Audit suite corrupted-supergraph-node-id: `a` has Chat.id only as @external
    # (not a Federation 1 extension), `b` has Account.id so: no subgraph can
    # answer `node { id }` for every implementation (a client's fragments per
    # type may go to each subgraph, as Apollo plans them).
    graph = supergraph("audit_corrupted_node_id")
    with pytest.raises(PlanningError, match="no subgraph resolves it whole"):
        plan_operation(graph, parse('{ node(id: "a1") { id } }'))


def test_field_of_an_interface_with_no_implementation_to_ask_is_a_planning_error() -> (
    None
):
    # Audit non-resolvable-interface-object: `Node.field` lives in an
    # @interfaceObject whose key is not resolvable, and a has no Node to ask.
    graph = supergraph("non_resolvable_interface_object")
    with pytest.raises(PlanningError, match=r"Cannot plan field 'Node\.field'"):
        plan_operation(graph, parse("{ a { field } }"))
