"""plan_operation: (supergraph, operation) -> QueryPlan, a pure function.

normalize (normalize.py) -> walk into a fetch graph (walk.py, asking
query_graph.py) -> lift variable conditions (conditions.py) -> merge sibling fetches
(optimize.py) -> order into plan nodes (build_plan.py). No I/O, no clock:
the progressive override labels enabled for this request arrive as
`override_labels`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .build_plan import build_query_plan
from .conditions import lift_conditions
from .normalize import normalize_operation
from .optimize import merge_sibling_steps
from .walk import walk_operation

if TYPE_CHECKING:
    from graphql import DocumentNode

    from ..supergraph import Supergraph
    from .plan import QueryPlan

__all__ = ["plan_operation"]


def plan_operation(
    supergraph: Supergraph,
    document: DocumentNode,
    operation_name: str | None = None,
    *,
    override_labels: frozenset[str] = frozenset(),
) -> QueryPlan:
    """Plan `operation_name` of `document` (validated against `supergraph.api_schema`).

    Returns QueryPlan(node=None) when only introspection and root `__typename` remain,
    which the gateway answers itself. Raises gateway.errors.PlanningError when no
    subgraph can resolve a selected field, or no key leads to one that can.
    """
    operation = normalize_operation(document, operation_name)
    graph = walk_operation(supergraph, operation, override_labels)
    lift_conditions(graph)
    merge_sibling_steps(graph, operation.kind)
    return build_query_plan(supergraph, operation, graph)
