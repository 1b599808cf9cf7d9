"""Satisfiability: every supergraph field can be reached from a root operation.

A simplified form of Apollo's satisfiability validation (composition's last step):
walk the supergraph from each root field through the subgraph that resolves it; a
field the current subgraph lacks must be reachable by moving to another subgraph
through one of its resolvable @key whose fields the current subgraph resolves (with
further jumps where it must), and below a field every subgraph one jump away that
resolves it stays an option (the parent entity's subgraph). A @requires field is
reachable only where its required fields are: each resolved (not @external) by a
subgraph reachable on the type from where the path stands, as a key's are. The
possible runtime types of abstract types are not followed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from graphql import GraphQLError, parse
from graphql.language import FieldNode, InlineFragmentNode, StringValueNode

from ._context import context_name
from .codes import ErrorCode
from .errors import CompositionError

if TYPE_CHECKING:
    from collections.abc import Callable

    from graphql.language import SelectionSetNode

    from .model import MergedSupergraph
    from .subgraph import Subgraph, TypeDefinition
    from .type_reference import TypeReference

__all__ = ["validate_satisfiability"]

_OPERATION = {"Query": "", "Mutation": "mutation ", "Subscription": "subscription "}


_WITNESS_SCALARS = {
    "Int": "0",
    "Float": "3.14",
    "Boolean": "true",
    "String": '"A string value"',
    "ID": '"<any id>"',
}
# graphql-js prints arguments on separate lines past this width.
_MAX_LINE_LENGTH = 80


def _witness_value(supergraph: MergedSupergraph, reference: TypeReference) -> str:
    """A value of an input type, as Apollo's satisfiability messages make one up."""
    if reference.is_list:
        return "[]"
    merged = supergraph.types.get(reference.named)
    if merged is None:
        return _WITNESS_SCALARS.get(reference.named, '"<some value>"')
    if merged.kind == "enum":
        return next(iter(merged.values), "null")
    if merged.kind == "input":
        fields = [
            f"{f.name}: {_witness_value(supergraph, f.type)}"
            for f in merged.fields.values()
            if f.default is None and f.type.non_null
        ]
        return "{" + ", ".join(fields) + "}"
    return '"<some value>"'


def _print_step(supergraph: MergedSupergraph, step: str, indent: str) -> str:
    """One selection of the witness query: `... on T`, or a field with arguments."""
    if step.startswith("..."):
        return indent + step
    type_name, field_name = step.split(".", 1)
    field = supergraph.types[type_name].fields[field_name]
    arguments = [
        f"{a.name}: {_witness_value(supergraph, a.type)}"
        for a in field.arguments.values()
    ]
    if not arguments:
        return indent + field_name
    line = f"{field_name}({', '.join(arguments)})"
    if len(line) <= _MAX_LINE_LENGTH:
        return indent + line
    inner = "".join(f"\n{indent}  {a}" for a in arguments)
    return f"{indent}{field_name}({inner}\n{indent})"


def _print_query(
    supergraph: MergedSupergraph,
    root: str,
    path: tuple[str, ...],
    leaf_is_composite: bool,
) -> str:
    lines: list[str] = []
    for depth, step in enumerate(path):
        indent = "  " * (depth + 1)
        last = depth == len(path) - 1
        text = _print_step(supergraph, step, indent)
        lines.append(text + ("" if last and not leaf_is_composite else " {"))
    if leaf_is_composite:
        lines.append("  " * (len(path) + 1) + "...")
        lines.append("  " * len(path) + "}")
    for depth in range(len(path) - 1, 0, -1):
        lines.append("  " * depth + "}")
    return f"{_OPERATION[root]}{{\n" + "\n".join(lines) + "\n}"


def _why_not(
    supergraph: MergedSupergraph,
    source: Subgraph,
    target: Subgraph,
    type_name: str,
    field_name: str,
) -> str | None:
    """None when `target` can be entered from `source` on `type_name`, else why not."""
    definition: TypeDefinition = target.types[type_name]
    coordinate = f"{type_name}.{field_name}"
    prefix = f'cannot move to subgraph "{target.name}", which has field "{coordinate}"'
    if not definition.keys:
        return (
            f'{prefix}, because type "{type_name}" has no @key defined in subgraph'
            f' "{target.name}".'
        )
    resolvable = [k for k in definition.keys if k.resolvable]
    if not resolvable:
        return (
            f'{prefix}, because none of the @key defined on type "{type_name}" in'
            f' subgraph "{target.name}" are resolvable (they are all declared with'
            ' their "resolvable" argument set to false).'
        )
    if _can_move(supergraph, source, target, type_name):
        return None
    return (
        f'cannot move to subgraph "{target.name}" using @key(fields:'
        f' "{resolvable[0].fields}") of "{type_name}", the key field(s) cannot be'
        f' resolved from subgraph "{source.name}".'
    )


# The fields a @provides makes resolvable below the providing field: name -> below.
_Provided = dict[str, "_Provided"]


def _provided(fields: str) -> _Provided:
    """A @provides field set as a tree of field names; an inline fragment is the
    branch `... on Type`, taken when the path casts down to that type."""

    def tree(selection_set: SelectionSetNode | None) -> _Provided:
        found: _Provided = {}
        for s in selection_set.selections if selection_set else ():
            if isinstance(s, FieldNode):
                found[s.name.value] = tree(s.selection_set)
            elif isinstance(s, InlineFragmentNode):
                below = tree(s.selection_set)
                if s.type_condition is None:
                    found.update(below)
                else:
                    found[f"... on {s.type_condition.name.value}"] = below
        return found

    try:
        operation = parse(f"{{{fields}}}").definitions[0]
    except GraphQLError:
        return {}
    return tree(getattr(operation, "selection_set", None))


def _cast(provided: _Provided, type_name: str) -> _Provided:
    """What is provided once the path casts down to `type_name`."""
    return {**provided, **provided.get(f"... on {type_name}", {})}


def _can_move(
    supergraph: MergedSupergraph, source: Subgraph, target: Subgraph, type_name: str
) -> bool:
    """Whether `source` can hand `type_name` to `target` through a resolvable key."""
    return target in _reachable(supergraph, source, type_name)


def _reachable(
    supergraph: MergedSupergraph, start: Subgraph, type_name: str
) -> list[Subgraph]:
    """Subgraphs `start` can reach on `type_name`, directly or through other keys."""
    return _closure(supergraph, start, type_name, frozenset())[1:]


def _closure(
    supergraph: MergedSupergraph,
    start: Subgraph,
    type_name: str,
    active: frozenset[tuple[str, str]],
) -> list[Subgraph]:
    """`start`, then each subgraph entered on `type_name` through a resolvable key
    whose fields the subgraphs found so far resolve together: a key's fields may
    come from several subgraphs and nested ones from further jumps, as Apollo
    resolves a key's condition with a plan of its own. `active` holds the (subgraph,
    type) pairs being resolved above, so that a cycle of keys ends."""
    if type_name not in start.types:
        return [start]
    active = active | {(start.name, type_name)}
    found = [start]
    grown = True
    while grown:  # a fixpoint: a subgraph found may resolve another's key
        grown = False
        for target in supergraph.subgraphs:
            there = target.types.get(type_name)
            if target in found or there is None:
                continue
            if any(
                key.resolvable
                and _resolves(
                    supergraph, found, type_name, _provided(key.fields), active
                )
                for key in there.keys
            ):
                found.append(target)
                grown = True
    return found


def _resolves(
    supergraph: MergedSupergraph,
    found: list[Subgraph],
    type_name: str,
    fields: _Provided,
    active: frozenset[tuple[str, str]],
    external_here: bool = True,
) -> bool:
    """Whether the subgraphs `found` (the first one being where the path stands)
    resolve the field set `fields` of `type_name` between them; `external_here`:
    the first one's @external fields count (a key restated there)."""

    def resolves(subgraph: Subgraph, name: str, below: _Provided) -> bool:
        definition = subgraph.types.get(type_name)
        field = definition.fields.get(name) if definition else None
        # Where the path stands, a key field may be @external (the key restated).
        here = subgraph is found[0] and external_here
        if field is None or (field.external and not here):
            return False
        if not below:
            return True
        nested_type = field.type.named
        if (subgraph.name, nested_type) in active:
            nested = [subgraph]
        else:
            nested = _closure(supergraph, subgraph, nested_type, active)
        return _resolves(supergraph, nested, nested_type, below, active)

    def cast(name: str, below: _Provided) -> bool:
        # `... on T` (a @requires field set may type-cast): T's fields, from the
        # same subgraphs.
        return _resolves(
            supergraph, found, name[len("... on ") :], below, active, external_here
        )

    return all(
        cast(name, below)
        if name.startswith("... on ")
        else any(resolves(subgraph, name, below) for subgraph in found)
        for name, below in fields.items()
    )


# A state's identity: its type, its options (by subgraph), the contexts set above.
_StateKey = tuple[str, tuple[tuple[str, str], ...], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class _State:
    """Where a query path stands: a type, and each subgraph that could be resolving
    it there (with what a @provides on the way made resolvable)."""

    type_name: str
    options: tuple[tuple[Subgraph, _Provided], ...]
    path: tuple[str, ...]
    root: str
    # The supergraph names of the @context set on the way here (this type included).
    contexts: frozenset[str] = frozenset()

    @property
    def key(self) -> _StateKey:
        options = tuple((s.name, repr(p)) for s, p in self.options)
        return self.type_name, options, tuple(sorted(self.contexts))


def _contexts_set_by(supergraph: MergedSupergraph, type_name: str) -> frozenset[str]:
    """The contexts a value of `type_name` sets: its own @context, its interfaces'
    and its unions' (a context set on an abstract type holds for its members)."""
    names = {type_name}
    merged = supergraph.types.get(type_name)
    if merged is not None:
        names.update(merged.interfaces)
    names.update(t.name for t in supergraph.types.values() if type_name in t.members)
    return frozenset(
        argument.value.value
        for name in names
        if name in supergraph.types
        for directive in supergraph.types[name].directives
        if directive.name.value == "context"
        for argument in directive.arguments or ()
        if isinstance(argument.value, StringValueNode)
    )


def _requires_met(
    supergraph: MergedSupergraph,
    source: Subgraph,
    target: Subgraph,
    type_name: str,
    name: str,
) -> bool:
    """Whether the @requires of `target`'s field `name` (if any) can be met from
    `source`: each required field resolved by a subgraph reachable from there."""
    definition = target.types.get(type_name)
    field = definition.fields.get(name) if definition else None
    if field is None or not field.requires:
        return True
    reachable = _closure(supergraph, source, type_name, frozenset())
    return _resolves(
        supergraph,
        reachable,
        type_name,
        _provided(field.requires),
        frozenset(),
        external_here=False,
    )


def _unmet_requires(type_name: str, field_name: str) -> str:
    return f'cannot satisfy @require conditions on field "{type_name}.{field_name}"'


def _context_reached(state: _State, subgraph: Subgraph, field_name: str) -> bool:
    """Whether every context the field's @fromContext arguments read in `subgraph`
    was set by an ancestor on the path."""
    definition = subgraph.types.get(state.type_name)
    field = definition.fields.get(field_name) if definition else None
    if field is None:
        return True
    return all(
        f"{subgraph.name}__{context_name(argument.field_value)}" in state.contexts
        for argument in field.context_arguments
    )


def validate_satisfiability(supergraph: MergedSupergraph) -> list[CompositionError]:
    """Errors (SATISFIABILITY_ERROR) for fields no query path can resolve.

    Walks depth-first from the root types, as Apollo's ValidationTraversal does, with
    one state per (type, subgraph options); a state is visited once.
    """
    errors: list[CompositionError] = []
    seen: set[_StateKey] = set()
    stack: list[_State] = []

    def push(state: _State) -> None:
        merged = supergraph.types.get(state.type_name)
        if merged is None or merged.kind not in ("object", "interface", "union"):
            return
        if state.options:
            stack.append(state)

    for root in supergraph.root_types:
        options: tuple[tuple[Subgraph, _Provided], ...] = tuple(
            (s, {}) for s in supergraph.subgraphs if root in s.types
        )
        push(_State(root, options, (), root, _contexts_set_by(supergraph, root)))
    while stack:
        state = stack.pop()
        # Visited once, by the path popped first (Apollo's previousVisits).
        if state.key in seen:
            continue
        seen.add(state.key)
        merged = supergraph.types[state.type_name]
        if merged.kind == "union":
            for member in merged.members:
                with_member = tuple(
                    (s, _cast(p, member))
                    for s, p in state.options
                    if member in getattr(s.types.get(state.type_name), "members", ())
                )
                step = (*state.path, f"... on {member}")
                contexts = state.contexts | _contexts_set_by(supergraph, member)
                push(_State(member, with_member, step, state.root, contexts))
            continue
        for field in merged.fields.values():
            error = _advance(supergraph, state, field.name, push)
            if error is not None:
                errors.append(error)
    return errors


def _no_context(type_name: str, field_name: str) -> str:
    return (
        "could not find a match for required context for field"
        f' "{type_name}.{field_name}"'
    )


def _advance(
    supergraph: MergedSupergraph,
    state: _State,
    field_name: str,
    push: Callable[[_State], None],
) -> CompositionError | None:
    """Follow `field_name` from `state`; the error when no option can resolve it."""
    type_name = state.type_name
    field = supergraph.types[type_name].fields[field_name]
    next_type = field.type.named
    step = (*state.path, f"{type_name}.{field_name}")
    composite = next_type in supergraph.types and supergraph.types[next_type].kind in (
        "object",
        "interface",
        "union",
    )
    next_options: list[tuple[Subgraph, _Provided]] = []
    failures: list[tuple[Subgraph, list[str]]] = []
    for subgraph, provided in state.options:
        here = subgraph.types.get(type_name)
        own = here.fields.get(field_name) if here else None
        others = [
            s
            for s in supergraph.subgraphs
            if s is not subgraph
            and type_name in s.types
            and field_name in s.types[type_name].fields
            and not s.types[type_name].fields[field_name].external
        ]
        if own is not None and not _context_reached(state, subgraph, field_name):
            failures.append((subgraph, [_no_context(type_name, field_name)]))
            continue
        if own is not None and (not own.external or field_name in provided):
            if not _requires_met(supergraph, subgraph, subgraph, type_name, field_name):
                failures.append((subgraph, [_unmet_requires(type_name, field_name)]))
                continue
            # A @provides here, or the one that brought us here, reaches further.
            below = _provided(own.provides) if own.provides else None
            next_options.append((subgraph, below or provided.get(field_name, {})))
            if composite:
                # Apollo keeps the indirect paths too (a jump to another subgraph
                # resolving the field): what lies below may only be reachable there.
                reachable = _reachable(supergraph, subgraph, type_name)
                next_options += [(s, {}) for s in others if s in reachable]
            continue
        if not others:
            continue  # only an @interfaceObject resolves it, through the interface
        reachable = _reachable(supergraph, subgraph, type_name)
        movable = [s for s in others if s in reachable]
        blocked = [s for s in movable if not _context_reached(state, s, field_name)]
        unmet = [
            s
            for s in movable
            if s not in blocked
            and not _requires_met(supergraph, subgraph, s, type_name, field_name)
        ]
        movable = [s for s in movable if s not in blocked and s not in unmet]
        if movable:
            next_options += [(s, {}) for s in movable]
        elif supergraph.types[type_name].kind == "interface":
            # Apollo type-explodes: each implementation here must reach the field.
            for implementation in subgraph.types.values():
                if type_name in implementation.interfaces:
                    downcast = (*state.path, f"... on {implementation.name}")
                    options = ((subgraph, _cast(provided, implementation.name)),)
                    contexts = state.contexts | _contexts_set_by(
                        supergraph, implementation.name
                    )
                    push(
                        _State(
                            implementation.name,
                            options,
                            downcast,
                            state.root,
                            contexts,
                        )
                    )
        else:
            reasons = [
                f'field "{type_name}.{field_name}" is not resolvable because marked'
                " @external"
                if own is not None and own.external
                else f'cannot find field "{type_name}.{field_name}"'
            ]
            reasons += [
                _why_not(supergraph, subgraph, s, type_name, field_name)
                or (_unmet_requires(type_name, field_name) if s in unmet else "")
                for s in others
                if s not in blocked
            ]
            failures.append((subgraph, [r for r in reasons if r]))
            failures += [(s, [_no_context(type_name, field_name)]) for s in blocked]
    if next_options:
        unique = {s.name: (s, p) for s, p in reversed(next_options)}
        ordered = tuple(
            unique[s.name] for s in supergraph.subgraphs if s.name in unique
        )
        contexts = state.contexts | _contexts_set_by(supergraph, next_type)
        push(_State(next_type, ordered, step, state.root, contexts))
        return None
    if not failures:
        return None
    query = _print_query(supergraph, state.root, step, composite)
    blocks = []
    for subgraph, reasons in failures:
        unique_reasons = list(dict.fromkeys(r.rstrip(".") for r in reasons))
        if len(unique_reasons) == 1:
            blocks.append(f'- from subgraph "{subgraph.name}": {unique_reasons[0]}.')
        else:
            lines = "".join(f"\n  - {r}." for r in unique_reasons)
            blocks.append(f'- from subgraph "{subgraph.name}":{lines}')
    involved = [s.name for s in supergraph.subgraphs if s.types.get(type_name)]
    return CompositionError(
        ErrorCode.SATISFIABILITY_ERROR,
        f"The following supergraph API query:\n{query}\ncannot be satisfied by the"
        " subgraphs because:\n" + "\n".join(blocks),
        tuple(involved),
        type_name,
        field_name,
    )
