"""Key jumps: fetch a field from another subgraph through an entity key.

When the subgraph resolving a field's parent object cannot resolve the field, the
walk jumps through an entity key (Federation spec, "Entities and @key") to a
subgraph that resolves it, adding `__typename` and the key fields to the current
step and a representation selection (`requires`) to the next. A @requires field
always gets an entity fetch whose representations carry what it requires (fetched
first, possibly from other subgraphs), and a @fromContext argument the value read
on its ancestor. With no key of the target known here, a key is first fetched from
a third subgraph, as if it were required. An @interfaceObject subgraph is sent the
interface name as `__typename` (ValueSetter input rewrite), and objects it returned
get their concrete `__typename` from a later fetch to the interface's owner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphql import ArgumentNode, FieldNode, NameNode, VariableNode

from ...errors import PlanningError
from .._selections import FieldSel, FragmentSel, Sel
from ..plan import KeyRenamer, ValueSetter
from .representations import (
    add_plain,
    alias_required,
    field_set,
    representation_of,
    single,
    to_sels,
    top_level_names,
)

if TYPE_CHECKING:
    from graphql import SelectionNode, SelectionSetNode

    from ...supergraph import ContextArgument, EntityKey
    from ..fetch_graph import FetchStep
    from .state import Walk

__all__ = [
    "add_key",
    "defer_jump",
    "fetch_required",
    "jump",
    "jump_from_abstract",
]


def jump(
    walk: Walk,
    step: FetchStep,
    parent: str,
    sel: FieldSel,
    target: list[Sel],
    path: tuple[str, ...],
    *,
    allow_self: bool = False,
) -> None:
    options = walk.qg.jump_targets(parent, sel.name)
    walk.meter.tick(len(options))
    if not options:
        raise PlanningError(
            f"No subgraph can resolve field '{sel.name}' of type '{parent}'."
        )
    join_type = walk.sg.types.get(parent)
    if (
        join_type is not None
        and not join_type.keys
        and walk.reenter(walk, step, parent, sel, target)
    ):
        return
    reachable: list[tuple[str, str, EntityKey]] = []
    for subgraph, entity_type in options:
        if subgraph == step.subgraph and entity_type == parent and not allow_self:
            continue
        key = walk.qg.key_for(step.subgraph, parent, subgraph, entity_type)
        if key is not None:
            reachable.append((subgraph, entity_type, key))
    key_deps: frozenset[int] = frozenset()
    key_representation: list[Sel] | None = None
    key_renames: list[KeyRenamer] = []
    if reachable:
        index = walk.graph.entity_index
        subgraph, entity_type, key = next(
            (
                choice
                for choice in reachable
                if index.get(
                    (step.id, choice[0], path, frozenset({step.id}), walk.defer)
                )
            ),
            max(reachable, key=lambda c: walk.qg.local_score(c[0], c[1], [sel])),
        )
    else:
        # No key of the target is known here. Ask another subgraph for the
        # path from the nearest entity above, or else fetch a key from a third
        # subgraph first, as if the key fields were @requires of the field.
        indirect = indirect_key_here(walk, step, parent, options)
        if indirect is None:
            if walk.reenter(walk, step, parent, sel, target):
                return
            indirect = indirect_key(walk, step, parent, sel, options)
        subgraph, entity_type, key = indirect
        with walk.holding(walk.indirect, (step.id, parent)):
            key_deps, key_representation, key_renames = fetch_required(
                walk, step, parent, key.selection_set, target, path
            )
    join_field = walk.sg.field(entity_type, sel.name)
    source = join_field.source(subgraph) if join_field else None
    deps: frozenset[int] = frozenset()
    required: list[Sel] = []
    renames: list[KeyRenamer] = list(key_renames)
    if source is not None and source.requires_selection_set is not None:
        deps, required, required_renames = fetch_required(
            walk, step, parent, source.requires_selection_set, target, path
        )
        renames += required_renames
    contexts: dict[str, tuple[str, int, list[Sel]]] = {}
    if source is not None and source.context_arguments:
        context_deps, contexts, sel = fetch_contexts(
            walk, step, parent, sel, source.context_arguments, path
        )
        deps |= context_deps
    child, _ = walk.entity_step(step, subgraph, path, deps | key_deps, renames)
    child.context_values.update(contexts)
    walk.record(child)
    if key_representation is None:
        representation = add_key(walk, step, parent, key.selection_set, target, child)
    else:
        walk.index.add_field(target, FieldSel("__typename"))
        representation = [FieldSel("__typename"), *key_representation]
    walk.index.merge_selections(
        child.requires.setdefault(parent, []), representation + required
    )
    for rename in renames:
        if rename not in child.input_rewrites:
            child.input_rewrites.append(rename)
    if entity_type != parent:
        setter = ValueSetter((f"... on {parent}", "__typename"), entity_type)
        if setter not in child.input_rewrites:
            child.input_rewrites.append(setter)
    entity_target = child.entity_selections.setdefault(entity_type, [])
    # The representation now carries what `sel` requires: place it as is.
    with walk.holding(walk.with_requirements, id(sel)):
        walk.walk_each(walk, child, entity_type, [sel], entity_target, path, None)


def indirect_key(
    walk: Walk,
    step: FetchStep,
    parent: str,
    sel: FieldSel,
    options: list[tuple[str, str]],
) -> tuple[str, str, EntityKey]:
    names = ", ".join(sorted({g for g, _ in options}))
    if (step.id, parent) in walk.indirect:
        raise PlanningError(
            f"Cannot plan field '{parent}.{sel.name}': no subgraph reachable "
            f"from '{step.subgraph}' provides a key of '{parent}' for {names}."
        )
    # Another subgraph (the key is fetched from here to reach it), the one that
    # resolves most of `sel` itself first.
    choices = [
        (subgraph, entity_type, key)
        for subgraph, entity_type in options
        if subgraph != step.subgraph
        for key in walk.sg.types[entity_type].keys_in(subgraph)
        if key.resolvable and (entity_type == parent or key.is_interface_object)
    ]
    # Keys whose top-level fields this subgraph resolves come first: a key
    # field it must jump for may be the very field being planned (a key with
    # nested selections spread across subgraphs).
    rooted = [
        c
        for c in choices
        if all(
            walk.qg.resolvable(step.subgraph, parent, name, {})
            for name in top_level_names(c[2].selection_set)
        )
    ]
    if rooted or choices:
        return max(
            rooted or choices,
            key=lambda c: walk.qg.local_score(c[0], c[1], [sel]),
        )
    raise PlanningError(
        f"Cannot plan field '{parent}.{sel.name}': {names} declare no resolvable "
        f"key of '{parent}'."
    )


def contexts_of(
    walk: Walk, subgraph: str, parent: str, name: str
) -> tuple[ContextArgument, ...]:
    if walk.qg.is_abstract(parent):
        return ()
    join_field = walk.sg.field(parent, name)
    source = join_field.source(subgraph) if join_field else None
    return source.context_arguments if source else ()


def fetch_contexts(
    walk: Walk,
    step: FetchStep,
    parent: str,
    sel: FieldSel,
    arguments: tuple[ContextArgument, ...],
    path: tuple[str, ...],
) -> tuple[frozenset[int], dict[str, tuple[str, int, list[Sel]]], FieldSel]:
    """Fetch each contextual argument's selection on the nearest ancestor
    setting its context (@fromContext); returns the steps the field's fetch
    waits for, its context variables, and `sel` passing them as arguments."""
    contexts: dict[str, tuple[str, int, list[Sel]]] = {}
    passed = list(sel.arguments)
    with walk.recording() as touched:
        for argument in arguments:
            index = context_frame(walk, argument.context)
            if index is None:
                raise PlanningError(
                    f"Cannot plan field '{parent}.{sel.name}': no ancestor "
                    f"sets the context of its argument '{argument.name}'."
                )
            frame = walk.frames[index]
            sels = to_sels(field_set(argument.selection_set))
            with walk.frames_above(index):
                walk.walk_each(
                    walk, frame.step, frame.parent, sels, frame.target, frame.path, None
                )
            walk.contexts += 1
            variable = f"contextualArgument_{walk.contexts}"
            levels = len(path) - len(frame.path)
            contexts[variable] = (
                argument.type,
                levels,
                representation_of(walk, frame.parent, sels),
            )
            passed = [a for a in passed if a.name.value != argument.name]
            passed.append(
                ArgumentNode(
                    name=NameNode(value=argument.name),
                    value=VariableNode(name=NameNode(value=variable)),
                )
            )
    touched.discard(step.id)
    with_values = FieldSel(
        name=sel.name,
        alias=sel.alias,
        arguments=tuple(passed),
        directives=sel.directives,
        selections=sel.selections,
        type_name=sel.type_name,
    )
    return frozenset(touched), contexts, with_values


def context_frame(walk: Walk, context: str) -> int | None:
    """Index in `_frames` of the nearest ancestor whose type sets `context`."""
    for index in range(len(walk.frames) - 1, -1, -1):
        frame_type = walk.frames[index].parent
        if any(
            context in walk.sg.types[t].contexts
            for t in (
                frame_type,
                *walk.qg.possible(frame_type),
                *walk.qg.abstract_types_of(frame_type),
            )
            if t in walk.sg.types
        ):
            return index
    return None


def indirect_key_here(
    walk: Walk, step: FetchStep, parent: str, options: list[tuple[str, str]]
) -> tuple[str, str, EntityKey] | None:
    """A resolvable key of `parent` itself in a target subgraph whose every
    top-level field this step's subgraph or a key jump from here supplies
    (complex-entity-call: `id` here, `pid` by a jump, `category {...}` here);
    preferred to re-entry, which asks for the whole path again elsewhere."""
    if (step.id, parent) in walk.indirect:
        return None
    own = walk.qg.key_fields(step.subgraph, parent)
    if not own:
        return None
    for subgraph, entity_type in options:
        if entity_type != parent or subgraph == step.subgraph:
            continue
        key = walk.qg.resolvable_key(
            parent,
            subgraph,
            lambda k: all(
                suppliable(walk, step.subgraph, parent, node)
                for node in k.selection_set.selections
            ),
        )
        if key is not None:
            return subgraph, entity_type, key
    return None


def suppliable(walk: Walk, subgraph: str, parent: str, node: SelectionNode) -> bool:
    if not isinstance(node, FieldNode):
        return False
    if walk.qg.fetchable(subgraph, parent, single(node)):
        return True
    # Fetched by a key jump from here to a subgraph that resolves it.
    name = node.name.value
    return node.selection_set is None and any(
        walk.qg.key_for(subgraph, parent, other, parent) is not None
        and walk.qg.resolvable(other, parent, name, {})
        for other in walk.sg.resolving_graphs(parent, name, walk.labels)
        if other != subgraph
    )


def fetch_required(
    walk: Walk,
    step: FetchStep,
    parent: str,
    requires: SelectionSetNode,
    target: list[Sel],
    path: tuple[str, ...],
) -> tuple[frozenset[int], list[Sel], list[KeyRenamer]]:
    """Fetch @requires fields of `parent` objects; returns the steps the requiring
    fetch must wait for, the representation selections, and key renames."""
    representation: list[Sel] = []
    renames: list[KeyRenamer] = []
    with walk.recording() as touched:
        for node in field_set(requires):
            if isinstance(node, FieldNode) and walk.qg.fetchable(
                step.subgraph, parent, single(node)
            ):
                representation += add_plain(
                    walk, parent, [node], target, (f"... on {parent}",), renames
                )
            else:
                sels = to_sels([node])
                alias_required(walk, parent, sels, (f"... on {parent}",), renames)
                walk.walk_each(walk, step, parent, sels, target, path, None)
                representation += representation_of(walk, parent, sels)
    touched.discard(step.id)
    return frozenset(touched), representation, renames


def add_key(
    walk: Walk,
    step: FetchStep,
    parent: str,
    key: SelectionSetNode,
    target: list[Sel],
    child: FetchStep,
    type_conditions: tuple[str, ...] = (),
) -> list[Sel]:
    """Add `__typename` and the key fields to `target`; return the representation
    selections that copy them (renames of aliased keys go to `child`)."""
    walk.index.add_field(target, FieldSel("__typename"))
    renames: list[KeyRenamer] = []
    representation: list[Sel] = [FieldSel("__typename")]
    representation += add_plain(
        walk, parent, field_set(key), target, (f"... on {parent}",), renames
    )
    for rename in renames:
        for condition in type_conditions or (parent,):
            moved = KeyRenamer(
                (f"... on {condition}", *rename.path[1:]), rename.rename_key_to
            )
            if moved not in child.input_rewrites:
                child.input_rewrites.append(moved)
    walk.record(step)
    return representation


def jump_from_abstract(
    walk: Walk,
    step: FetchStep,
    parent: str,
    sel: FieldSel,
    target: list[Sel],
    path: tuple[str, ...],
) -> None:
    subgraph = step.subgraph
    for other in walk.sg.resolving_graphs(parent, sel.name, walk.labels):
        if other == subgraph or not walk.qg.interface_object_in(other, parent):
            continue
        key = walk.qg.key_for(subgraph, parent, other, parent)
        if key is None:
            continue
        # An @interfaceObject subgraph resolves it for every implementation.
        join_field = walk.sg.field(parent, sel.name)
        source = join_field.source(other) if join_field else None
        deps: frozenset[int] = frozenset()
        required: list[Sel] = []
        renames: list[KeyRenamer] = []
        if source is not None and source.requires_selection_set is not None:
            deps, required, renames = fetch_required(
                walk, step, parent, source.requires_selection_set, target, path
            )
        per_member = [
            KeyRenamer((f"... on {member}", *r.path[1:]), r.rename_key_to)
            for r in renames
            for member in walk.sg.possible_types(parent, subgraph)
        ]
        child, _ = walk.entity_step(step, other, path, deps, per_member)
        walk.record(child)
        members = walk.sg.possible_types(parent, subgraph)
        representation = add_key(
            walk, step, parent, key.selection_set, target, child, members
        )
        for member in members:
            walk.index.merge_selections(
                child.requires.setdefault(member, []), representation + required
            )
            for rename in renames:
                moved = KeyRenamer(
                    (f"... on {member}", *rename.path[1:]), rename.rename_key_to
                )
                if moved not in child.input_rewrites:
                    child.input_rewrites.append(moved)
        for member in members:
            setter = ValueSetter((f"... on {member}", "__typename"), parent)
            if setter not in child.input_rewrites:
                child.input_rewrites.append(setter)
        entity_target = child.entity_selections.setdefault(parent, [])
        walk.walk_each(walk, child, parent, [sel], entity_target, path, None)
        return
    # Otherwise ask each implementation this subgraph returns on its own.
    members = walk.sg.possible_types(parent, subgraph)
    if not members:
        raise PlanningError(
            f"Cannot plan field '{parent}.{sel.name}': '{subgraph}' returns no "
            f"implementation of '{parent}' and no subgraph resolves it for the "
            "interface."
        )
    for member in members:
        inner = walk.fragment(target, FragmentSel(member))
        with walk.holding(walk.exploded, id(inner)):
            walk.walk_each(walk, step, member, [sel], inner, path, None)


def jump_from_interface_object(
    walk: Walk,
    step: FetchStep,
    parent: str,
    selections: list[Sel],
    target: list[Sel],
    path: tuple[str, ...],
) -> None:
    subgraph = step.subgraph
    for other in walk.sg.types[parent].graphs:
        if (
            other == subgraph
            or walk.qg.interface_object_in(other, parent)
            # No implementation there: `... on Interface` is no entity it knows.
            or not walk.sg.possible_types(parent, other)
        ):
            continue
        key = walk.qg.key_for(subgraph, parent, other, parent)
        if key is None:
            continue
        child, _ = walk.entity_step(step, other, path)
        walk.record(child)
        representation = add_key(walk, step, parent, key.selection_set, target, child)
        walk.index.merge_selections(
            child.requires.setdefault(parent, []), representation
        )
        entity_target = child.entity_selections.setdefault(parent, [])
        walk.walk_each(walk, child, parent, selections, entity_target, path, None)
        return
    raise PlanningError(
        f"No subgraph defines interface '{parent}' with a key reachable from the "
        f"@interfaceObject in '{subgraph}'."
    )


def defer_jump(
    walk: Walk, step: FetchStep, object_type: str | None, selections: list[Sel]
) -> tuple[str, EntityKey] | None:
    """The subgraph (this step's own first) and key by which the deferred
    `selections` on `object_type` objects can be fetched apart, if any."""
    if object_type is None or object_type not in walk.sg.types:
        return None
    join_type = walk.sg.types[object_type]
    graphs = [step.subgraph, *(g for g in join_type.graphs if g != step.subgraph)]
    choices: list[tuple[str, EntityKey]] = []
    for graph in graphs:
        key = walk.qg.key_for(step.subgraph, object_type, graph, object_type)
        if key is not None:
            choices.append((graph, key))
    if not choices:
        return None
    return max(
        choices,
        key=lambda c: walk.qg.local_score(c[0], object_type, selections),
    )
