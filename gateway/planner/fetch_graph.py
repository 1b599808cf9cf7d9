"""The fetch graph: FetchSteps (one request to one subgraph each) and their order.

A step is filled in by the walk (`walk/`) and turned into a FetchNode by
`build_plan.py`. Root steps select on the root type; entity steps select
`... on T` fragments inside `_entities` and list, per type condition of the objects
found at `response_path`, the fields to copy into each representation (`requires`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from graphql import OperationType

from .plan import KeyRenamer

if TYPE_CHECKING:
    from collections.abc import Sequence

    from graphql import DirectiveNode

    from ._selections import Sel
    from .defer import DeferDirective
    from .plan import FetchRewrite

__all__ = ["DeferUse", "FetchGraph", "FetchStep", "renames_conflict", "wave_depths"]


@dataclass(slots=True)
class FetchStep:
    """One subgraph request being planned (mutable until the walk ends)."""

    id: int
    subgraph: str
    operation_kind: OperationType
    response_path: tuple[str, ...]
    is_entity: bool
    depends_on: list[int] = field(default_factory=list)
    root_selections: list[Sel] = field(default_factory=list)
    # Type condition in the subgraph's `_entities` -> selections on it.
    entity_selections: dict[str, list[Sel]] = field(default_factory=dict)
    # Type condition of the objects in the response -> what a representation copies.
    requires: dict[str, list[Sel]] = field(default_factory=dict)
    input_rewrites: list[FetchRewrite] = field(default_factory=list)
    # A root step whose whole selection hangs on one @skip/@include(if: $var).
    condition: DirectiveNode | None = None
    # @fromContext: variable -> (its GraphQL type, levels up, selection read there).
    context_values: dict[str, tuple[str, int, list[Sel]]] = field(default_factory=dict)
    # The deferred fragment (index into FetchGraph.defers) this step fetches for;
    # None for the primary response.
    defer: int | None = None


@dataclass(frozen=True, slots=True)
class DeferUse:
    """A deferred fragment placed at one response path (a named fragment with
    @defer spread in two places is used twice)."""

    directive: DeferDirective
    # Where its objects are (`@` for list items) and their type.
    path: tuple[str, ...]
    type_name: str
    # The deferred fragment it is nested in (index into FetchGraph.defers).
    parent: int | None


@dataclass(slots=True)
class FetchGraph:
    """All steps of one operation, in creation order; ids index `steps`."""

    steps: list[FetchStep] = field(default_factory=list)
    # (parent step, subgraph, response path, dependency set, deferral) -> the ids
    # of the entity steps made for it (more than one when their representations
    # conflict).
    entity_index: dict[
        tuple[int, str, tuple[str, ...], frozenset[int], int | None], list[int]
    ] = field(default_factory=dict)
    # The deferred fragments the walk could fetch apart, in the order met.
    defers: list[DeferUse] = field(default_factory=list)

    def add(
        self,
        subgraph: str,
        operation_kind: OperationType,
        response_path: tuple[str, ...] = (),
        *,
        is_entity: bool = False,
        depends_on: tuple[int, ...] = (),
        defer: int | None = None,
    ) -> FetchStep:
        step = FetchStep(
            id=len(self.steps),
            subgraph=subgraph,
            operation_kind=operation_kind,
            response_path=response_path,
            is_entity=is_entity,
            depends_on=list(depends_on),
            defer=defer,
        )
        self.steps.append(step)
        return step

    def entity_step(
        self,
        parent: FetchStep,
        subgraph: str,
        response_path: tuple[str, ...],
        depends_on: frozenset[int] = frozenset(),
        renames: Sequence[FetchRewrite] = (),
        defer: int | None = None,
    ) -> tuple[FetchStep, bool]:
        """The entity step below `parent` for `subgraph` at `response_path` (created
        when missing, or when the one there renames other fields to a name
        `renames` fills: one representation cannot carry both); the boolean says
        whether it was created. A step of one deferred fragment (`defer`) is never
        a step of another, nor of the primary response."""
        deps = depends_on | {parent.id}
        key = (parent.id, subgraph, response_path, deps, defer)
        found = self.entity_index.setdefault(key, [])
        for step_id in found:
            step = self.steps[step_id]
            if not renames_conflict(step.input_rewrites, renames):
                return step, False
        step = self.add(
            subgraph,
            OperationType.QUERY,
            response_path,
            is_entity=True,
            depends_on=tuple(sorted(deps)),
            defer=defer,
        )
        found.append(step.id)
        return step, True


def renames_conflict(
    first: Sequence[FetchRewrite], second: Sequence[FetchRewrite]
) -> bool:
    """Whether two sets of input rewrites rename different keys to one name (the
    same field required with different arguments): their representations differ."""
    sources: dict[tuple[str, ...], str] = {}
    for rewrite in first:
        if isinstance(rewrite, KeyRenamer):
            sources[(*rewrite.path[:-1], rewrite.rename_key_to)] = rewrite.path[-1]
    for rewrite in second:
        if isinstance(rewrite, KeyRenamer):
            source = sources.get((*rewrite.path[:-1], rewrite.rename_key_to))
            if source is not None and source != rewrite.path[-1]:
                return True
    return False


def wave_depths(
    steps: list[FetchStep], stands_for: dict[int, int] | None = None
) -> dict[int, int]:
    """The wave each step runs in: 0 without dependencies, else one after the
    latest step it depends on. `stands_for` maps a step id to the id that replaces
    it (to try a merge before making it)."""
    stands_for = stands_for or {}
    by_id = {s.id: s for s in steps}
    depth: dict[int, int] = {}

    def wave(step_id: int, visiting: frozenset[int]) -> int:
        step_id = stands_for.get(step_id, step_id)
        if step_id in depth:
            return depth[step_id]
        if step_id in visiting or step_id not in by_id:
            return -1
        own = [by_id[step_id]] + [
            by_id[i] for i, j in stands_for.items() if j == step_id and i in by_id
        ]
        parents = {stands_for.get(d, d) for s in own for d in s.depends_on}
        parents.discard(step_id)
        inner = visiting | {step_id}
        depth[step_id] = 1 + max((wave(p, inner) for p in parents), default=-1)
        return depth[step_id]

    for step in steps:
        wave(step.id, frozenset())
    return depth
