"""Execution: run a QueryPlan, merge subgraph JSON, project it onto the operation."""

from __future__ import annotations

from .executor import execute_plan
from .incremental import execute_incrementally, has_deferred
from .merge import collect_objects, deep_merge
from .projection import Projection
from .representations import EntityBatch, apply_rewrites, build_representation
from .subscription_event import execute_subscription_events

__all__ = [
    "EntityBatch",
    "Projection",
    "apply_rewrites",
    "build_representation",
    "collect_objects",
    "deep_merge",
    "execute_incrementally",
    "execute_plan",
    "execute_subscription_events",
    "has_deferred",
]
