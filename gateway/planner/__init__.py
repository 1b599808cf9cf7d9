"""The query planner: (supergraph, operation) -> QueryPlan, a pure function (the
request pipeline, gateway/request/, caches plans)."""

from __future__ import annotations

from .budget import PlanningBudget
from .errors import PlanningBudgetExceeded, PlanningLimit
from .plan import (
    ConditionNode,
    ContextValue,
    DeferNode,
    DeferredNode,
    EntityBatchNode,
    FetchNode,
    FetchRewrite,
    FieldSelection,
    FlattenNode,
    InlineFragmentSelection,
    KeyRenamer,
    ParallelNode,
    PlanNode,
    QueryPlan,
    Selection,
    SequenceNode,
    SubscriptionNode,
    ValueSetter,
)
from .plan_operation import plan_operation

__all__ = [
    "ConditionNode",
    "ContextValue",
    "DeferNode",
    "DeferredNode",
    "EntityBatchNode",
    "FetchNode",
    "FetchRewrite",
    "FieldSelection",
    "FlattenNode",
    "InlineFragmentSelection",
    "KeyRenamer",
    "ParallelNode",
    "PlanNode",
    "PlanningBudget",
    "PlanningBudgetExceeded",
    "PlanningLimit",
    "QueryPlan",
    "Selection",
    "SequenceNode",
    "SubscriptionNode",
    "ValueSetter",
    "plan_operation",
]
