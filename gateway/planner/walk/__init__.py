"""Walk a normalized operation over the supergraph and fill the fetch graph.

The walk places every selection in a fetch step (traversal.py), jumps through
entity keys to the subgraph resolving a field (jumps.py), asks another subgraph for
a whole path when no key leads to one (reentry.py), and builds what
representations copy (representations.py); its state is written down in state.py.
hive-router's planner/walker/ is the model for the split.

Promises kept for the executor:
- client aliases are kept; fields the planner adds use their own names, and where
  that would clash with a client's response key (or a required field has
  arguments) they get an `__agora_` alias, undone in the representation by a
  KeyRenamer input rewrite of the dependent fetch;
- representations carry `__typename` and the key (and @requires) fields, per type
  condition; an @interfaceObject subgraph is sent the interface name as `__typename`
  (ValueSetter input rewrite); objects fetched from an @interfaceObject subgraph get
  their concrete `__typename` from a later fetch to the subgraph owning the interface;
- fetches for a deferred fragment (@defer) are tagged with it and never merged with
  the primary response's (FetchStep.defer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..budget import PlanningBudget
from . import reentry, traversal
from .state import Walk

if TYPE_CHECKING:
    from ...supergraph import Supergraph
    from ..budget import BudgetMeter
    from ..fetch_graph import FetchGraph
    from ..normalize import NormalizedOperation

__all__ = ["walk_operation"]


def walk_operation(
    supergraph: Supergraph,
    operation: NormalizedOperation,
    override_labels: frozenset[str] = frozenset(),
    meter: BudgetMeter | None = None,
) -> FetchGraph:
    """Build the fetch graph of `operation`; raises PlanningError when a field has no
    subgraph that can resolve it or no key leads to one, PlanningBudgetExceeded when
    `meter` runs out (a step per selection placed or weighed, budget.py)."""
    walk = Walk(
        supergraph,
        override_labels,
        meter or PlanningBudget().start(),
        walk_each=traversal.walk_each,
        reenter=reentry.reenter,
    )
    traversal.root(walk, operation)
    return walk.graph
