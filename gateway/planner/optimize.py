"""Optimize a fetch graph: merge sibling entity fetches to one subgraph.

Two entity steps that ask the same subgraph about the objects at the same response
path become one request when neither needs the other's result and merging does not
lengthen the plan (its number of waves). Walks that reach one subgraph through
different parents, or several @requires fields with different prerequisites, are what
leave such siblings behind. Mutations are left alone: their steps belong to the
root field they follow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._selections import merge_selections
from .budget import PlanningBudget
from .fetch_graph import wave_depths

if TYPE_CHECKING:
    from .budget import BudgetMeter
    from .fetch_graph import FetchGraph, FetchStep

__all__ = ["merge_sibling_steps"]


def merge_sibling_steps(
    graph: FetchGraph, operation_kind: str, meter: BudgetMeter | None = None
) -> None:
    """Merge mergeable sibling entity steps of `graph` in place, until none is left.

    A merged-away step is left empty and no step depends on it any more. `meter`
    counts a step per pair of steps compared and per step re-ordered; raises
    PlanningBudgetExceeded when it runs out.
    """
    if operation_kind == "mutation":
        return
    meter = meter or PlanningBudget().start()
    merged = True
    while merged:
        merged = False
        live = [s for s in graph.steps if s.is_entity and _live(s)]
        meter.tick(len(graph.steps))
        longest = max(
            wave_depths([s for s in graph.steps if _live(s)]).values(), default=0
        )
        for i, first in enumerate(live):
            meter.tick(len(live) - i)
            for second in live[i + 1 :]:
                if not _siblings(first, second):
                    continue
                meter.tick(len(graph.steps))
                if _reaches(graph, first, second) or _reaches(graph, second, first):
                    continue
                if _longest_after_merge(graph, first, second) > longest:
                    continue
                _merge(graph, first, second)
                merged = True
                break
            if merged:
                break


def _live(step: FetchStep) -> bool:
    if step.is_entity:
        return any(step.entity_selections.values())
    return bool(step.root_selections)


def _siblings(first: FetchStep, second: FetchStep) -> bool:
    return (
        first.subgraph == second.subgraph
        and first.response_path == second.response_path
        and first.condition is None
        and second.condition is None
    )


def _reaches(graph: FetchGraph, start: FetchStep, goal: FetchStep) -> bool:
    """Whether `start` (transitively) depends on `goal`."""
    pending = list(start.depends_on)
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if current == goal.id:
            return True
        if current not in seen:
            seen.add(current)
            pending += graph.steps[current].depends_on
    return False


def _longest_after_merge(graph: FetchGraph, first: FetchStep, second: FetchStep) -> int:
    keep, drop = _ordered(first, second)
    live = [s for s in graph.steps if _live(s)]
    return max(wave_depths(live, {drop.id: keep.id}).values(), default=0)


def _ordered(first: FetchStep, second: FetchStep) -> tuple[FetchStep, FetchStep]:
    return (first, second) if first.id < second.id else (second, first)


def _merge(graph: FetchGraph, first: FetchStep, second: FetchStep) -> None:
    keep, drop = _ordered(first, second)
    for type_name, selections in drop.entity_selections.items():
        merge_selections(keep.entity_selections.setdefault(type_name, []), selections)
    for type_name, selections in drop.requires.items():
        merge_selections(keep.requires.setdefault(type_name, []), selections)
    for rewrite in drop.input_rewrites:
        if rewrite not in keep.input_rewrites:
            keep.input_rewrites.append(rewrite)
    keep.context_values.update(drop.context_values)
    deps = set(keep.depends_on) | set(drop.depends_on)
    keep.depends_on = sorted(deps - {keep.id, drop.id})
    drop.entity_selections = {}
    drop.requires = {}
    drop.depends_on = []
    for step in graph.steps:
        if drop.id in step.depends_on:
            step.depends_on = sorted(
                ({keep.id if d == drop.id else d for d in step.depends_on}) - {step.id}
            )
