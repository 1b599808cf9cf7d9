"""Traversal: place each selection of the operation in the fetch that resolves
its parent object, from the root fields down (jumps.py takes over when that fetch's
subgraph cannot resolve a field, reentry.py when no key leads to one that can).

Each selection is placed in the fetch step whose subgraph is already resolving its
parent object when that subgraph can resolve it too (@shareable fields and @provides
cost no jump). Fragments are placed where an object of their type can be found in
that subgraph (by the type it gives the field), split per member where it does not
see every member the supergraph's type has there; a deferred fragment (@defer) gets
an entity fetch of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from graphql import OperationType

from ...errors import PlanningError
from .._selections import FieldSel, FragmentSel, Sel
from ..fetch_graph import DeferUse
from ..query_graph import merge_selection_sets
from .jumps import (
    add_key,
    contexts_of,
    defer_jump,
    jump,
    jump_from_abstract,
    jump_from_interface_object,
)
from .representations import collect_keys
from .state import Frame, root_target

if TYPE_CHECKING:
    from graphql import DirectiveNode, SelectionSetNode

    from ..defer import DeferDirective
    from ..fetch_graph import FetchStep
    from ..normalize import NormalizedOperation
    from ..query_graph import Provided
    from .state import Walk

__all__ = ["root", "walk_each", "walk_selections"]


def root(walk: Walk, operation: NormalizedOperation) -> None:
    root_type = root_type_of(walk, operation.kind)
    steps = walk.root_steps
    walk.kind = operation.kind
    walk.root_name = root_type
    uses: dict[int, int] = {}
    for sel, wrappers, deferrals in _root_items(list(operation.selections), ()):
        candidates = walk.sg.resolving_graphs(root_type, sel.name, walk.labels)
        if not candidates:
            raise PlanningError(
                f"No subgraph can resolve field '{sel.name}' of type '{root_type}'."
            )
        defer = None
        if operation.kind is OperationType.QUERY:
            # Root fields of a deferred fragment get root fetches of their own.
            for deferral in deferrals:
                if deferral.ordinal not in uses:
                    uses[deferral.ordinal] = defer_use(
                        walk, deferral, (), root_type, defer
                    )
                defer = uses[deferral.ordinal]
        with walk.deferring(defer, defer):
            for part, in_graphs in split_shared_root(
                walk, operation.kind, root_type, sel, candidates
            ):
                step = root_step(
                    walk, operation.kind, root_type, part, in_graphs, steps
                )
                walk.root_wrappers = wrappers
                target = root_target(walk, step, wrappers)
                walk_each(walk, step, root_type, [part], target, (), None)


def split_shared_root(
    walk: Walk,
    kind: OperationType,
    root_type: str,
    sel: FieldSel,
    candidates: tuple[str, ...],
) -> list[tuple[FieldSel, tuple[str, ...]]]:
    """Split a shared root query field returning a value type (no key, so no
    jump can complete it) across the subgraphs resolving its subfields."""
    whole = [(sel, candidates)]
    if kind is not OperationType.QUERY or len(candidates) < 2 or sel.selections is None:
        return whole
    named, _ = walk.qg.field_type(root_type, sel.name)
    join_type = walk.sg.types.get(named)
    if join_type is None or join_type.keys or walk.qg.is_abstract(named):
        return whole
    remaining = list(sel.selections)
    parts: list[tuple[FieldSel, tuple[str, ...]]] = []
    while remaining:
        best = max(candidates, key=lambda g: walk.qg.local_score(g, named, remaining))
        taken = [s for s in remaining if walk.qg.placeable(best, named, s)]
        if not taken:
            break
        part = sel.shell()
        part.selections = taken
        parts.append((part, (best,)))
        remaining = [s for s in remaining if all(s is not t for t in taken)]
    if not parts:
        return whole
    if remaining:  # nobody resolves these: let the walk report them
        assert parts[-1][0].selections is not None
        parts[-1][0].selections.extend(remaining)
    return parts


def root_type_of(walk: Walk, kind: OperationType) -> str:
    root = walk.schema.get_root_type(kind)
    if root is None:
        raise PlanningError(f"The supergraph has no {kind.value} type.")
    return root.name


def root_step(
    walk: Walk,
    kind: OperationType,
    root_type: str,
    sel: FieldSel,
    candidates: tuple[str, ...],
    steps: list[FetchStep],
) -> FetchStep:
    if kind is OperationType.MUTATION:
        # Mutation root fields run one after the other (GraphQL spec §6.2.2):
        # only consecutive fields of one subgraph share a request.
        if steps and steps[-1].subgraph in candidates:
            return steps[-1]
    else:
        # Join a root fetch already made to a subgraph only when it resolves
        # as much of `sel` itself as any other candidate (no needless jump).
        scores = {g: walk.qg.local_score(g, root_type, [sel]) for g in candidates}
        top = max(scores.values())
        for step in steps:
            if scores.get(step.subgraph) == top and step.defer == walk.defer:
                return step
    best = max(
        candidates,
        key=lambda g: walk.qg.local_score(g, root_type, [sel]),
    )
    step = walk.graph.add(best, kind, defer=walk.defer)
    steps.append(step)
    return step


def walk_selections(
    walk: Walk,
    step: FetchStep,
    parent: str,
    selections: list[Sel],
    target: list[Sel],
    path: tuple[str, ...],
    provided: SelectionSetNode | None,
) -> None:
    """Place `selections` (on `parent` objects returned by `step`) into `target`."""
    subgraph = step.subgraph
    fields = walk.qg.provided_fields(provided, parent)
    if walk.qg.is_abstract(parent) and walk.qg.interface_object_in(subgraph, parent):
        # This subgraph types these objects as the interface itself: their real
        # `__typename` (and what it lacks) comes from the interface's owner.
        local: list[Sel] = []
        remote: list[Sel] = [FieldSel("__typename")]
        for sel in selections:
            if (
                isinstance(sel, FieldSel)
                and sel.name != "__typename"
                and walk.qg.resolvable(subgraph, parent, sel.name, fields)
                # A @requires field needs representations carrying what it
                # requires: the interface's owner asks for it in turn.
                and walk.qg.requires_of(subgraph, parent, sel.name) is None
            ):
                local.append(sel)
            else:
                remote.append(sel)
        walk_each(walk, step, parent, local, target, path, provided)
        if len(remote) > 1:
            # Only a client's selection needs the concrete type: the projection
            # completes the rest on the interface (an @interfaceObject's owner may
            # resolve no key of the concrete types).
            jump_from_interface_object(walk, step, parent, remote, target, path)
        return
    walk_each(walk, step, parent, selections, target, path, provided)


def walk_each(
    walk: Walk,
    step: FetchStep,
    parent: str,
    selections: list[Sel],
    target: list[Sel],
    path: tuple[str, ...],
    provided: SelectionSetNode | None,
) -> None:
    """Like `walk`, without the @interfaceObject split (the objects' types are
    known). `provided` is the @provides selection that applies here."""
    keys = walk.client_keys.setdefault(id(target), {})
    walk.meter.tick(collect_keys(selections, keys))
    fields = walk.qg.provided_fields(provided, parent)
    for sel in selections:
        if isinstance(sel, FragmentSel):
            walk_fragment(walk, step, parent, sel, target, path, provided)
        else:
            walk_field(walk, step, parent, sel, target, path, fields)


def walk_fragment(
    walk: Walk,
    step: FetchStep,
    parent: str,
    sel: FragmentSel,
    target: list[Sel],
    path: tuple[str, ...],
    provided: SelectionSetNode | None,
) -> None:
    if sel.defer is not None:
        walk_deferred(walk, step, parent, sel, target, path, provided)
        return
    condition = sel.type_condition
    qg = walk.qg
    if condition is None or condition == parent or not qg.is_abstract(parent):
        if condition not in (None, parent) and parent not in qg.possible(condition):
            return  # an object of another type: the fragment never applies
        # The fragment applies to every object here: no type condition needed.
        inner = target
        if sel.directives:
            inner = walk.fragment(target, FragmentSel(None, sel.directives))
        walk_each(walk, step, parent, sel.selections, inner, path, provided)
        return
    subgraph = step.subgraph
    # The objects this subgraph returns here that the client's fragment matches
    # (by the supergraph's types, as the executor projects them).
    matching = qg.possible_in(subgraph, parent).intersection(qg.possible(condition))
    for other in alternatives(walk, step):
        # Another subgraph could serve this path too: only the members both
        # know are safe to ask for (Apollo plans it so: a member one of them
        # does not know would be null from one and an object from the other).
        matching &= qg.possible_in(other, parent)
    if not matching:
        return  # this subgraph never returns a `condition` object here
    if (
        qg.knows(subgraph, condition)
        and not qg.interface_object_in(subgraph, condition)
        and matching <= qg.possible_in(subgraph, condition)
    ):
        inner = walk.fragment(target, FragmentSel(condition, sel.directives))
        walk_selections(walk, step, condition, sel.selections, inner, path, provided)
        return
    # The subgraph does not know the condition type, or not every object type
    # the supergraph says matches it (an implementation declared in another
    # subgraph only): one fragment per type it knows.
    for member in qg.possible(condition):
        if member in matching:
            inner = walk.fragment(target, FragmentSel(member, sel.directives))
            walk_selections(walk, step, member, sel.selections, inner, path, provided)


def walk_deferred(
    walk: Walk,
    step: FetchStep,
    parent: str,
    sel: FragmentSel,
    target: list[Sel],
    path: tuple[str, ...],
    provided: SelectionSetNode | None,
) -> None:
    """A fragment with @defer: its selections are fetched apart, by an entity
    fetch of their own from the objects here (a key of them added to this
    step), run after the primary response; where no key leads back to these
    objects they are fetched with it. Either way they are delivered later."""
    assert sel.defer is not None
    plain = FragmentSel(sel.type_condition, sel.directives, sel.selections)
    condition = sel.type_condition or parent
    object_type = next(
        (t for t in (condition, parent) if not walk.qg.is_abstract(t)), None
    )
    use = defer_use(walk, sel.defer, path, object_type or parent, walk.delivery)
    jump = defer_jump(walk, step, object_type, sel.selections)
    if jump is None or object_type is None:
        with walk.deferring(walk.defer, use):
            walk_fragment(walk, step, parent, plain, target, path, provided)
        return
    subgraph, key = jump
    with walk.deferring(use, use):
        child, _ = walk.entity_step(step, subgraph, path)
        walk.record(child)
        key_target = target
        if object_type != parent:
            key_target = walk.fragment(target, FragmentSel(object_type))
        if sel.directives:
            key_target = walk.fragment(key_target, FragmentSel(None, sel.directives))
        representation = add_key(
            walk, step, object_type, key.selection_set, key_target, child
        )
        walk.index.merge_selections(
            child.requires.setdefault(object_type, []), representation
        )
        entity_target = child.entity_selections.setdefault(object_type, [])
        inner = entity_target
        if sel.directives:
            inner = walk.fragment(entity_target, FragmentSel(None, sel.directives))
        walk_selections(walk, child, object_type, sel.selections, inner, path, None)


def defer_use(
    walk: Walk,
    deferral: DeferDirective,
    path: tuple[str, ...],
    type_name: str,
    parent: int | None,
) -> int:
    walk.graph.defers.append(DeferUse(deferral, path, type_name, parent))
    return len(walk.graph.defers) - 1


def alternatives(walk: Walk, step: FetchStep) -> set[str]:
    """The other subgraphs that resolve the whole path `step` is walking from
    the nearest entity above (which each can be sent by a key) down to here."""
    path: list[tuple[str, str]] = []
    walk.meter.tick(len(walk.frames))
    for frame in reversed(walk.frames):
        if frame.step is not step:
            return set()
        path.append((frame.parent, frame.sel.name))
        join_type = walk.sg.types.get(frame.parent)
        if join_type is None or not join_type.keys:
            continue
        if walk.qg.is_abstract(frame.parent):
            return set()
        return {
            graph
            for graph in join_type.graphs
            if graph != step.subgraph
            and any(key.resolvable for key in join_type.keys_in(graph))
            and all(walk.qg.resolvable(graph, p, n, {}) for p, n in path)
        }
    return set()


def walk_field(
    walk: Walk,
    step: FetchStep,
    parent: str,
    sel: FieldSel,
    target: list[Sel],
    path: tuple[str, ...],
    provided: Provided,
) -> None:
    if sel.name == "__typename":
        walk.index.add_field(target, sel)
        return
    subgraph = step.subgraph
    if walk.qg.resolvable(subgraph, parent, sel.name, provided):
        if (
            id(sel) not in walk.with_requirements
            and sel.name not in provided
            and (
                walk.qg.requires_in(subgraph, parent, sel)
                or contexts_of(walk, subgraph, parent, sel.name)
            )
        ):
            # A @requires field is only ever resolved from a representation
            # carrying the required fields: an entity fetch, even to the same
            # subgraph (Federation spec, "@requires").
            jump(walk, step, parent, sel, target, path, allow_self=True)
            return
        placed = walk.index.add_field(target, sel)
        walk.record(step)
        if sel.selections is not None and placed.selections is not None:
            supergraph_type, depth = walk.qg.field_type(parent, sel.name)
            named = walk.qg.field_type_in(subgraph, parent, sel.name)
            # The supergraph's type: where it is abstract the projection needs
            # `__typename` even when this subgraph names one of its members.
            placed.type_name = supergraph_type
            sub_path = (*path, sel.response_key, *("@",) * depth)
            sub_provided = merge_selection_sets(
                provided.get(sel.name), walk.qg.provides(subgraph, parent, sel.name)
            )
            wrappers = walk.root_wrappers if parent == walk.root_name else ()
            with walk.within(Frame(step, parent, sel, target, path, wrappers)):
                walk_selections(
                    walk,
                    step,
                    named,
                    sel.selections,
                    placed.selections,
                    sub_path,
                    sub_provided,
                )
        return
    if walk.qg.is_abstract(parent):
        jump_from_abstract(walk, step, parent, sel, target, path)
    else:
        jump(walk, step, parent, sel, target, path)


_RootItem: TypeAlias = (
    "tuple[FieldSel, tuple[tuple[DirectiveNode, ...], ...], tuple[DeferDirective, ...]]"
)


def _root_items(
    selections: list[Sel],
    wrappers: tuple[tuple[DirectiveNode, ...], ...],
    deferrals: tuple[DeferDirective, ...] = (),
) -> list[_RootItem]:
    """Root fields with the conditional fragments (directives) around each, and
    the deferred fragments they are in, outermost first."""
    items: list[_RootItem] = []
    for sel in selections:
        if isinstance(sel, FieldSel):
            items.append((sel, wrappers, deferrals))
        else:
            inner = (*wrappers, sel.directives) if sel.directives else wrappers
            deferred = deferrals if sel.defer is None else (*deferrals, sel.defer)
            items += _root_items(sel.selections, inner, deferred)
    return items
