"""What a representation copies, and the planner's own fields that feed it: key
and required fields added to a fetch (under an `__agora_` alias where a client's
response key takes the name, or where a required field has arguments), read back
per type condition. None of these walk the operation: they build selections only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from graphql import FieldNode, InlineFragmentNode, SelectionSetNode, print_ast

from ...errors import PlanningError
from .._selections import FieldSel, FragmentSel
from ..plan import KeyRenamer

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .._selections import Sel
    from .state import Walk

# What a field set (a @key's, a @requires', a @fromContext selection) holds: fields
# and inline fragments, never a named fragment (it has no document to name one in).
FieldSetNode: TypeAlias = FieldNode | InlineFragmentNode

__all__ = [
    "PLANNER_ALIAS_PREFIX",
    "FieldSetNode",
    "add_plain",
    "alias_required",
    "collect_keys",
    "field_set",
    "representation_of",
    "required_alias",
    "single",
    "to_sels",
    "top_level_names",
]

# Response keys of fields the planner adds under an alias.
PLANNER_ALIAS_PREFIX = "__agora_"


def representation_of(walk: Walk, parent: str, sels: list[Sel]) -> list[Sel]:
    """What a representation copies of `sels` (on `parent`): response keys
    without client details, with `__typename` in nested abstract values."""
    copies: list[Sel] = []
    for sel in sels:
        if isinstance(sel, FragmentSel):
            inner = representation_of(
                walk, sel.type_condition or parent, sel.selections
            )
            copies.append(FragmentSel(sel.type_condition, (), inner))
            continue
        sub = None
        if sel.selections is not None:
            named, _ = walk.qg.field_type(parent, sel.name)
            sub = representation_of(walk, named, sel.selections)
            if walk.qg.is_abstract(named):
                sub.insert(0, FieldSel("__typename"))
        copies.append(FieldSel(sel.response_key, selections=sub))
    return copies


def required_alias(walk: Walk, parent: str, sel: FieldSel) -> str:
    """The alias a required field with arguments is fetched under: the client
    (or another requirement) may select the same field with other arguments
    under its name, and two requirements may select it with different ones."""
    arguments = " ".join(print_ast(a) for a in sel.arguments)
    key = (parent, sel.name, arguments)
    alias = walk.required_aliases.get(key)
    if alias is None:
        alias = f"{PLANNER_ALIAS_PREFIX}{sel.name}_{len(walk.required_aliases)}"
        walk.required_aliases[key] = alias
    return alias


def alias_required(
    walk: Walk,
    parent: str,
    sels: list[Sel],
    path: tuple[str, ...],
    renames: list[KeyRenamer],
) -> None:
    """Give the fields with arguments of required `sels` (on `parent`) their
    planner alias, recording the renames that restore their names."""
    for sel in sels:
        if isinstance(sel, FragmentSel):
            condition = sel.type_condition or parent
            alias_required(
                walk, condition, sel.selections, (*path, f"... on {condition}"), renames
            )
            continue
        key = sel.response_key
        if sel.arguments:
            sel.alias = required_alias(walk, parent, sel)
            renames.append(KeyRenamer((*path, sel.alias), sel.name))
        if sel.selections:
            named, _ = walk.qg.field_type(parent, sel.name)
            # Renames apply in order, the outer one first: inner paths use
            # the restored name.
            alias_required(walk, named, sel.selections, (*path, key), renames)


def add_plain(
    walk: Walk,
    parent: str,
    nodes: Sequence[FieldSetNode],
    target: list[Sel],
    path: tuple[str, ...],
    renames: list[KeyRenamer],
) -> list[Sel]:
    """Add field-set `nodes` to `target` as planner fields; return the
    representation selections that read them back."""
    representation: list[Sel] = []
    for node in nodes:
        if isinstance(node, InlineFragmentNode):
            condition = (
                node.type_condition.name.value if node.type_condition else parent
            )
            fragment = walk.index.add_fragment(target, FragmentSel(condition))
            inner = add_plain(
                walk,
                condition,
                field_set(node.selection_set),
                fragment.selections,
                (*path, f"... on {condition}"),
                renames,
            )
            representation.append(FragmentSel(condition, (), inner))
            continue
        name = node.name.value
        wanted = FieldSel(
            name,
            arguments=tuple(node.arguments or ()),
            selections=[] if node.selection_set else None,
        )
        alias = None
        if wanted.arguments:
            alias = required_alias(walk, parent, wanted)
        else:
            existing = walk.index.find_response_key(
                target, name
            ) or walk.client_keys.get(id(target), {}).get(name)
            # A client's field that differs only by its @skip/@include merges
            # with ours: ours, unconditional, makes sure the value is there.
            if existing is not None and not existing.mergeable(wanted):
                alias = f"{PLANNER_ALIAS_PREFIX}{name}"
        if alias is not None:
            wanted.alias = alias
            renames.append(KeyRenamer((*path, alias), name))
        placed = walk.index.add_field(target, wanted)
        sub: list[Sel] | None = None
        if node.selection_set is not None and placed.selections is not None:
            named, _ = walk.qg.field_type(parent, name)
            placed.type_name = named
            sub = add_plain(
                walk,
                named,
                field_set(node.selection_set),
                placed.selections,
                (*path, name),
                renames,
            )
            if walk.qg.is_abstract(named):
                # Nested abstract values travel with their type, so both the
                # executor's `... on T` and the subgraph can tell them apart.
                walk.index.add_field(placed.selections, FieldSel("__typename"))
                sub.insert(0, FieldSel("__typename"))
        representation.append(FieldSel(alias or name, selections=sub))
    return representation


def single(node: FieldNode) -> SelectionSetNode:
    return SelectionSetNode(selections=(node,))


def field_set(selection_set: SelectionSetNode) -> list[FieldSetNode]:
    """The selections of a field set; a named fragment in one is refused."""
    nodes: list[FieldSetNode] = []
    for node in selection_set.selections:
        if not isinstance(node, FieldNode | InlineFragmentNode):
            raise PlanningError(
                f"A field set cannot hold a fragment spread: {print_ast(node)}."
            )
        nodes.append(node)
    return nodes


def to_sels(nodes: Sequence[FieldSetNode]) -> list[Sel]:
    sels: list[Sel] = []
    for node in nodes:
        if isinstance(node, FieldNode):
            sub = to_sels(field_set(node.selection_set)) if node.selection_set else None
            arguments = tuple(node.arguments or ())
            sels.append(FieldSel(node.name.value, arguments=arguments, selections=sub))
        else:
            condition = node.type_condition.name.value if node.type_condition else None
            sels.append(
                FragmentSel(condition, (), to_sels(field_set(node.selection_set)))
            )
    return sels


def collect_keys(selections: list[Sel], keys: dict[str, FieldSel]) -> int:
    """Add the response keys of `selections` (through fragments) to `keys`; returns
    how many selections it looked at."""
    seen = len(selections)
    for sel in selections:
        if isinstance(sel, FieldSel):
            keys.setdefault(sel.response_key, sel)
        else:
            seen += collect_keys(sel.selections, keys)
    return seen


def top_level_names(selection_set: SelectionSetNode) -> set[str]:
    return {n.name.value for n in selection_set.selections if isinstance(n, FieldNode)}
