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

from graphql import OperationType

from ._selections import merge_selections
from .budget import PlanningBudget
from .fetch_graph import renames_conflict, wave_depths

if TYPE_CHECKING:
    from .budget import BudgetMeter
    from .fetch_graph import FetchGraph, FetchStep

__all__ = ["merge_sibling_steps"]


def merge_sibling_steps(
    graph: FetchGraph, operation_kind: OperationType, meter: BudgetMeter | None = None
) -> None:
    """Merge mergeable sibling entity steps of `graph` in place, until none is left.

    A merged-away step is left empty and no step depends on it any more. `meter`
    counts a step per step of the graph looked at and per pair of siblings
    compared; raises PlanningBudgetExceeded when it runs out.
    """
    if operation_kind is OperationType.MUTATION:
        return
    meter = meter or PlanningBudget().start()
    merged = True
    while merged:
        merged = False
        meter.tick(len(graph.steps))
        longest = max(
            wave_depths([s for s in graph.steps if _live(s)]).values(), default=0
        )
        # Only siblings can merge: each step is compared with the later steps of
        # its group, in the graph's order (comparing all pairs was quadratic).
        groups: dict[tuple[str, tuple[str, ...], int | None], list[FetchStep]] = {}
        # Step id -> its group and the position after it there.
        places: dict[int, tuple[list[FetchStep], int]] = {}
        for step in graph.steps:
            if step.is_entity and step.condition is None and _live(step):
                # A deferred fragment's fetches run after the primary response's:
                # never one request for both (nor for two deferred fragments).
                group = groups.setdefault(
                    (step.subgraph, step.response_path, step.defer), []
                )
                group.append(step)
                places[step.id] = (group, len(group))
        for first in graph.steps:
            group, after = places.get(first.id, ([], 0))
            for second in group[after:]:
                meter.tick(len(graph.steps))
                if _reaches(graph, first, second) or _reaches(graph, second, first):
                    continue
                if renames_conflict(first.input_rewrites, second.input_rewrites):
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
