"""Re-entry: when no subgraph reachable by a key resolves a field (shared value
types, keys the current subgraph lacks), ask another subgraph for the whole path
from the nearest entity, or root query field, down to it, type conditions included
(beside the fetch that was sent those entities when it can take the same
representations: the parent entity call).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphql import OperationType

from ...errors import PlanningError
from .._selections import FieldSel, FragmentSel
from ..plan import KeyRenamer
from .jumps import jump, jump_from_abstract
from .representations import top_level_names
from .state import root_target

if TYPE_CHECKING:
    from graphql import DirectiveNode

    from .._selections import Sel
    from ..fetch_graph import FetchStep
    from .state import Frame, Walk

__all__ = ["MAX_REENTRIES", "reenter"]

# Re-entries one walk may make: past it the field cannot be planned (a path
# re-entered back and forth between two subgraphs ends here).
MAX_REENTRIES = 64


def reenter(
    walk: Walk, step: FetchStep, parent: str, sel: FieldSel, target: list[Sel]
) -> bool:
    """Fetch `sel` (on `parent`, which no subgraph reachable from here by a key
    resolves) by asking another subgraph for the whole field path from the
    nearest entity (or root query field) of this step down to it, type
    conditions included. False when there is none."""
    wrapper: FieldSel = sel
    # An interface field asked of each implementation is asked again whole, as
    # Apollo plans it: a field no implementation's subgraph can resolve is refused
    # rather than fetched per type; a client's own fragments may go elsewhere type
    # by type.
    inner: str | None = None if id(target) in walk.exploded else parent
    for index in range(len(walk.frames) - 1, -1, -1):
        frame = walk.frames[index]
        if frame.step is not step:
            return False
        shell = frame.sel.shell()
        field_type, _ = walk.qg.field_type(frame.parent, frame.sel.name)
        # Only the objects of the fragment's type: asking for the whole field
        # would re-enter for the members the other subgraph lacks in turn.
        shell.selections = [
            wrapper
            if inner is None or inner == field_type
            else FragmentSel(inner, (), [wrapper])
        ]
        wrapper = shell
        inner = frame.parent
        if frame.parent == walk.root_name:
            if walk.kind is not OperationType.QUERY:
                return False
            return reenter_root(walk, step, wrapper, frame.wrappers)
        if keyed_members(walk, step.subgraph, frame.parent):
            # Jump per implementation from the abstract parent: an entity reached
            # through an interface field is called by its concrete type's key.
            count_reentry(walk, sel)
            with walk.frames_above(index):
                jump_from_abstract(
                    walk, step, frame.parent, wrapper, frame.target, frame.path
                )
            return True
        join_type = walk.sg.types.get(frame.parent)
        if join_type is None or not join_type.keys:
            continue
        if walk.qg.is_abstract(frame.parent):
            return False
        others = {
            g
            for g, _ in walk.qg.jump_targets(frame.parent, frame.sel.name)
            if g != step.subgraph
        }
        if not others:
            continue
        count_reentry(walk, sel, frame.parent)
        # Frames below this one do not apply to the path asked for anew.
        with walk.frames_above(index):
            if not beside(walk, step, frame, wrapper):
                jump(walk, step, frame.parent, wrapper, frame.target, frame.path)
        return True
    return False


def count_reentry(walk: Walk, sel: FieldSel, parent: str | None = None) -> None:
    walk.reentries += 1
    if walk.reentries > MAX_REENTRIES:
        raise PlanningError(
            f"Cannot plan field '{sel.name}': no subgraph resolves "
            f"the whole path to it from '{parent}'."
        )


def keyed_members(walk: Walk, subgraph: str, parent: str) -> bool:
    """Whether `parent` is abstract and every implementation `subgraph`
    returns for it is an entity (has a key in some subgraph)."""
    if not walk.qg.is_abstract(parent):
        return False
    members = walk.sg.possible_types(parent, subgraph)
    return bool(members) and all(
        m in walk.sg.types and walk.sg.types[m].keys for m in members
    )


def beside(walk: Walk, step: FetchStep, frame: Frame, wrapper: FieldSel) -> bool:
    """When `frame` is an entity `step` was sent, ask another subgraph for
    `wrapper` with the same representations, beside `step` rather than after
    it (the parent entity call). False when no subgraph can take them."""
    entity = frame.parent
    if not step.is_entity or step.entity_selections.get(entity) is not frame.target:
        return False
    representation = step.requires.get(entity)
    if not representation or not step.depends_on:
        return False
    renamed = {
        r.path[-1]: r.rename_key_to
        for r in step.input_rewrites
        if isinstance(r, KeyRenamer) and len(r.path) == 2
    }
    copied = {
        renamed.get(s.response_key, s.response_key)
        for s in representation
        if isinstance(s, FieldSel)
    } | {"__typename"}
    for subgraph, entity_type in walk.qg.jump_targets(entity, wrapper.name):
        if subgraph == step.subgraph or entity_type != entity:
            continue
        key = walk.qg.resolvable_key(
            entity,
            subgraph,
            lambda k: top_level_names(k.selection_set) <= copied,
        )
        if key is None:
            continue
        origin = walk.graph.steps[step.depends_on[0]]
        sibling, _ = walk.entity_step(
            origin, subgraph, frame.path, frozenset(step.depends_on)
        )
        walk.record(sibling)
        # Only `__typename` and the key: the other subgraph is sent no field
        # it does not expect.
        wanted = top_level_names(key.selection_set) | {"__typename"}
        wanted |= {alias for alias, name in renamed.items() if name in wanted}
        walk.index.merge_selections(
            sibling.requires.setdefault(entity, []),
            [
                s
                for s in representation
                if isinstance(s, FieldSel) and s.response_key in wanted
            ],
        )
        for rewrite in step.input_rewrites:
            if rewrite not in sibling.input_rewrites:
                sibling.input_rewrites.append(rewrite)
        target = sibling.entity_selections.setdefault(entity, [])
        walk.walk_each(walk, sibling, entity, [wrapper], target, frame.path, None)
        return True
    return False


def reenter_root(
    walk: Walk,
    step: FetchStep,
    wrapper: FieldSel,
    wrappers: tuple[tuple[DirectiveNode, ...], ...],
) -> bool:
    candidates = [
        g
        for g in walk.sg.resolving_graphs(walk.root_name, wrapper.name, walk.labels)
        if g != step.subgraph
    ]
    if not candidates:
        return False
    walk.reentries += 1
    if walk.reentries > MAX_REENTRIES:
        raise PlanningError(
            f"Cannot plan field '{wrapper.name}': no subgraph resolves it whole."
        )
    best = max(
        candidates, key=lambda g: walk.qg.local_score(g, walk.root_name, [wrapper])
    )
    root = next(
        (s for s in walk.root_steps if s.subgraph == best and s.defer == walk.defer),
        None,
    )
    if root is None:
        root = walk.graph.add(best, walk.kind, defer=walk.defer)
        walk.root_steps.append(root)
    target = root_target(walk, root, wrappers)
    walk.walk_each(walk, root, walk.root_name, [wrapper], target, (), None)
    return True
