"""plan_operation: (supergraph, operation) -> QueryPlan, a pure function.

normalize (normalize.py) -> walk into a fetch graph (walk/, asking
query_graph.py) -> lift variable conditions (conditions.py) -> merge sibling fetches
(optimize.py) -> order into plan nodes (build_plan.py). No I/O, no clock:
the progressive override labels enabled for this request arrive as
`override_labels`.

What the executor can rely on in the plans built here:
- fetched JSON merges by response key: client aliases are kept in subgraph
  operations; fields the planner adds (keys, `__typename`, required fields) use their
  own names, or an `__agora_` alias when a client response key takes the name, undone
  in the representation by a KeyRenamer input rewrite of the fetch that reads it;
- every selection on an abstract type in a fetch includes `__typename`; every object
  turned into a representation has `__typename` and the key/required fields fetched
  by an earlier node, and `FetchNode.requires` says exactly what to copy, per type
  condition (`... on T`, matched against the object's `__typename`);
- an @interfaceObject subgraph gets the interface name as `__typename` (ValueSetter
  input rewrite), and objects it returned get their concrete `__typename` from a
  later fetch to the subgraph owning the interface (merged over the first);
- entity fetches read `query($representations: [_Any!]!, ...) { _entities(
  representations: $representations) { ... on T { ... } } }` and declare every
  variable they use with the client's type and default (`variable_usages` lists them);
- fetches may over-fetch (key fields, fields of skipped selections) but never
  under-fetch: the executor projects the merged data onto the client's operation;
- a FetchNode's results merge at its FlattenNode path (`@` = every list item) and
  only after every node before it in the enclosing Sequence has merged; a
  ConditionNode runs its fetch only when the boolean variable says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .budget import PlanningBudget
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
    budget: PlanningBudget | None = None,
) -> QueryPlan:
    """Plan `operation_name` of `document` (validated against `supergraph.api_schema`).

    Returns QueryPlan(node=None) when only introspection and root `__typename` remain,
    which the gateway answers itself. Raises gateway.errors.PlanningError when no
    subgraph can resolve a selected field, or no key leads to one that can, and its
    subclass PlanningBudgetExceeded when planning takes more steps or time than
    `budget` allows (None: the defaults of PlanningBudget; steps are defined in
    budget.py).
    """
    meter = (budget or PlanningBudget()).start()
    operation = normalize_operation(supergraph.schema, document, operation_name, meter)
    meter.check_clock()
    graph = walk_operation(supergraph, operation, override_labels, meter)
    meter.check_clock()
    lift_conditions(graph)
    merge_sibling_steps(graph, operation.kind, meter)
    meter.check_clock()
    plan = build_query_plan(supergraph, operation, graph, meter)
    meter.check_clock()
    return plan
