"""Subgraph validation: what each subgraph must satisfy before merging.

Implements the checks Apollo runs per subgraph (reported with a `[subgraph]` prefix):
GraphQL validity that composition relies on (known types, interface fields), the field
sets of @key, @requires and @provides, unused @external; and, first, the upgrade of a
federation 1 subgraph to federation 2 semantics, as Apollo's schema upgrader does.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from graphql import GraphQLError, parse
from graphql.language import FieldNode, InlineFragmentNode, OperationDefinitionNode

from ._context import validate_contexts
from .codes import ErrorCode, Problem, directive_code
from .errors import CompositionError
from .subgraph import FEDERATION_TYPES, Key

if TYPE_CHECKING:
    from collections.abc import Sequence

    from graphql.language import SelectionNode, SelectionSetNode

    from .subgraph import Subgraph, TypeDefinition

__all__ = ["validate_subgraph"]


def validate_subgraph(subgraph: Subgraph) -> list[CompositionError]:
    """Validate a read subgraph (upgrading it first if it is federation 1)."""
    errors = _validate_types(subgraph) + _validate_interface_objects(subgraph)
    if errors:
        return errors
    errors += _validate_field_sets(subgraph)
    errors += validate_contexts(subgraph)
    _drop_fake_externals(subgraph)
    if subgraph.is_federation_1:
        _upgrade_federation_1(subgraph)
    else:
        errors += _validate_externals(subgraph)
    return errors


def _fields(selection_set: SelectionSetNode | None) -> list[FieldNode]:
    selections = selection_set.selections if selection_set else ()
    return [s for s in selections if isinstance(s, FieldNode)]


def _selections(fields: str) -> list[FieldNode]:
    """The top-level fields of a field set such as `"id owner { id }"`."""
    return [s for s in _field_set(fields) if isinstance(s, FieldNode)]


def _field_set(fields: str) -> list[SelectionNode]:
    """The top-level selections of a field set: fields, and the inline fragments a
    @provides on an abstract type may start with (`"... on Book { title }"`)."""
    try:
        operation = parse(f"{{{fields}}}").definitions[0]
    except GraphQLError as error:
        # graphql-js quotes tokens with double quotes, graphql-core with single ones.
        message = re.sub(r"found (\w+ )?'(.*)'", r'found \1"\2"', error.message)
        raise GraphQLError(message) from error
    assert isinstance(operation, OperationDefinitionNode)
    selections = list(operation.selection_set.selections)
    if not selections:
        # graphql-core accepts `{}`; the reference's parser (graphql-js) does not.
        raise GraphQLError('Syntax Error: Expected Name, found "}".')
    return selections


# Appended to "Cannot query field" (Apollo words the advice per directive).
_INVALID_FIELDS_ADVICE = {
    "key": " (the field should either be added to this subgraph or, if it should not"
    " be resolved by this subgraph, you need to add it to this subgraph with"
    " @external).",
    "requires": " (if the field is defined in another subgraph, you need to add it to"
    " this subgraph with @external).",
}
_INVALID_FIELDS_ADVICE["provides"] = _INVALID_FIELDS_ADVICE["requires"]


def _check_field_set(
    subgraph: Subgraph, type_name: str, fields: str, directive: str
) -> list[Problem]:
    """(code, reason) for each problem of a @key/@requires/@provides field set.

    Mirrors Apollo's validateFieldSet: a field that does not exist (or a key field of
    abstract type) stops the check; then fields with arguments, and leaf fields that
    are not @external in @requires and @provides, are reported.
    """
    try:
        selections = _field_set(fields)
    except GraphQLError as error:
        return [(directive_code(directive, "INVALID_FIELDS"), error.message)]
    problems: list[Problem] = []

    def walk(
        selections: Sequence[SelectionNode], parent: str, *, external_above: bool
    ) -> str:
        definition = subgraph.types.get(parent)
        for selection in selections:
            if isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = condition.name.value if condition else parent
                nested = selection.selection_set.selections
                if walk(nested, inner, external_above=external_above) == "stop":
                    return "stop"
                continue
            assert isinstance(selection, FieldNode)
            field_name = selection.name.value
            found = definition.fields.get(field_name) if definition else None
            if found is None:
                problems[:] = [
                    (
                        directive_code(directive, "INVALID_FIELDS"),
                        f'Cannot query field "{field_name}" on type "{parent}"'
                        + _INVALID_FIELDS_ADVICE[directive],
                    )
                ]
                return "stop"
            subgraph.used_fields.add((parent, field_name))
            if directive == "key":
                subgraph.key_fields.add((parent, field_name))
            coordinate = f"{parent}.{field_name}"
            target = subgraph.types.get(found.type.named)
            if directive == "key" and target and target.kind in ("union", "interface"):
                kind = "Union" if target.kind == "union" else "Interface"
                problems[:] = [
                    (
                        ErrorCode.KEY_FIELDS_SELECT_INVALID_TYPE,
                        f'field "{coordinate}" is a {kind} type which is not allowed'
                        " in @key",
                    )
                ]
                return "stop"
            if directive != "requires" and found.arguments:
                problems.append(
                    (
                        directive_code(directive, "FIELDS_HAS_ARGS"),
                        f"field {coordinate} cannot be included because it has"
                        " arguments (fields with argument are not allowed in"
                        f" @{directive})",
                    )
                )
            leaf = selection.selection_set is None
            # Federation 1 subgraphs are upgraded instead (Apollo drops such fields).
            if (
                directive != "key"
                and leaf
                and not (external_above or found.external)
                and not subgraph.is_federation_1
            ):
                problems.append(
                    (
                        directive_code(directive, "FIELDS_MISSING_EXTERNAL"),
                        f'field "{coordinate}" should not be part of a @{directive}'
                        " since it is already provided by this subgraph (it is not"
                        " marked @external)",
                    )
                )
            if not leaf:
                assert selection.selection_set is not None
                nested = selection.selection_set.selections
                below = (
                    external_above
                    or found.external
                    or _external_in_implementations(subgraph, parent, field_name)
                )
                if walk(nested, found.type.named, external_above=below) == "stop":
                    return "stop"
        return "done"

    walk(selections, type_name, external_above=False)
    return problems


def _external_in_implementations(
    subgraph: Subgraph, parent: str, field_name: str
) -> bool:
    """Whether `parent` is an interface and some implementation here has the field
    @external: Apollo lets a @provides select below such an interface field
    (validateFieldSetSelections, federation-internals federation.ts)."""
    definition = subgraph.types.get(parent)
    if definition is None or definition.kind != "interface":
        return False
    return any(
        parent in implementation.interfaces
        and implementation.kind == "object"
        and (found := implementation.fields.get(field_name)) is not None
        and found.external
        for implementation in subgraph.types.values()
    )


def _validate_field_sets(subgraph: Subgraph) -> list[CompositionError]:
    errors: list[CompositionError] = []
    name = subgraph.name
    for type_name, definition in subgraph.types.items():
        for key in definition.keys:
            for code, reason in _check_field_set(
                subgraph, type_name, key.fields, "key"
            ):
                errors.append(
                    CompositionError(
                        code,
                        f'[{name}] On type "{type_name}", for {key.source}: {reason}',
                        (name,),
                        type_name,
                    )
                )
        for field_name, field_definition in definition.fields.items():
            for directive, target, fields in (
                ("requires", type_name, field_definition.requires),
                (
                    "provides",
                    field_definition.type.named,
                    field_definition.provides,
                ),
            ):
                if fields is None:
                    continue
                for code, reason in _check_field_set(
                    subgraph, target, fields, directive
                ):
                    errors.append(
                        CompositionError(
                            code,
                            f'[{name}] On field "{type_name}.{field_name}", for'
                            f' @{directive}(fields: "{fields}"): {reason}',
                            (name,),
                            type_name,
                            field_name,
                        )
                    )
    return errors


def _upgrade_federation_1(subgraph: Subgraph) -> None:
    """Read a federation 1 subgraph as federation 2 would (Apollo's schema upgrader).

    Fields are shareable, type extensions are plain definitions, @requires and
    @provides keep only the fields they can act on (external ones), `@external` means
    nothing on interfaces, and an external field nothing selects (no @key, @requires,
    @provides, no interface it satisfies) is removed.
    """
    for type_name, definition in subgraph.types.items():
        for field_definition in definition.fields.values():
            if field_definition.requires is not None:
                field_definition.requires = _active_field_set(
                    subgraph, type_name, field_definition.requires
                )
            if field_definition.provides is not None:
                field_definition.provides = _active_field_set(
                    subgraph,
                    field_definition.type.named,
                    field_definition.provides,
                )
    for type_name, definition in subgraph.types.items():
        definition.keys = [
            Key(key.fields, key.resolvable, extension=False, source=key.source)
            for key in definition.keys
        ]
        satisfied = _interface_fields(subgraph, definition)
        for field_name, field_definition in list(definition.fields.items()):
            if definition.kind == "object":
                field_definition.shareable = True
            if not field_definition.external:
                continue
            if definition.kind == "interface":
                field_definition.external = False
            elif (type_name, field_name) not in subgraph.used_fields and (
                field_name not in satisfied
            ):
                del definition.fields[field_name]


def _active_field_set(subgraph: Subgraph, type_name: str, fields: str) -> str | None:
    """A federation 1 @requires/@provides field set without the fields it cannot act
    on (leaves that are not @external); None when nothing is left (Apollo's
    removeInactiveProvidesAndRequires)."""

    def keep(
        selections: list[FieldNode], parent: str, *, external_above: bool
    ) -> list[str]:
        definition = subgraph.types.get(parent)
        kept: list[str] = []
        for selection in selections:
            name = selection.name.value
            found = definition.fields.get(name) if definition else None
            if found is None:
                continue
            if selection.selection_set is None:
                if found.external or external_above:
                    kept.append(name)
                continue
            below = external_above or found.external
            inner = keep(
                _fields(selection.selection_set), found.type.named, external_above=below
            )
            if inner:
                kept.append(f"{name} {{ {' '.join(inner)} }}")
        return kept

    try:
        active = keep(_selections(fields), type_name, external_above=False)
    except GraphQLError:
        return fields
    return " ".join(active) or None


def _interface_fields(subgraph: Subgraph, definition: TypeDefinition) -> set[str]:
    """Names of the fields declared by the interfaces a type implements here."""
    return {
        name
        for interface in definition.interfaces
        if interface in subgraph.types
        for name in subgraph.types[interface].fields
    }


BUILT_IN_SCALARS = frozenset({"Int", "Float", "String", "Boolean", "ID"})


def _validate_types(subgraph: Subgraph) -> list[CompositionError]:
    """The GraphQL validity checks composition relies on: known types, interfaces."""
    errors: list[str] = []
    known = set(subgraph.types) | BUILT_IN_SCALARS | FEDERATION_TYPES
    for definition in subgraph.types.values():
        referenced = [*definition.interfaces, *definition.members]
        for field_definition in definition.fields.values():
            referenced.append(field_definition.type.named)
            referenced += [a.type.named for a in field_definition.arguments.values()]
        errors += [f"Unknown type {name}" for name in referenced if name not in known]
    for definition in subgraph.types.values():
        for interface_name in definition.interfaces:
            interface = subgraph.types.get(interface_name)
            if interface is None:
                continue
            errors += [
                f"Interface field {interface_name}.{name} expected but"
                f" {definition.name} does not provide it."
                for name in interface.fields
                if name not in definition.fields
            ]
    for definition in subgraph.types.values():
        if definition.name == "Query":
            continue  # read_subgraph adds an empty Query where a subgraph has none
        empty = {
            "object": (
                not definition.fields,
                "Type {} must define one or more fields.",
            ),
            "interface": (
                not definition.fields,
                "Type {} must define one or more fields.",
            ),
            "input": (
                not definition.fields,
                "Input Object type {} must define one or more fields.",
            ),
            "enum": (
                not definition.values,
                "Enum type {} must define one or more values.",
            ),
            "union": (
                not definition.members,
                "Union type {} must define one or more member types.",
            ),
        }.get(definition.kind)
        if empty is not None and empty[0]:
            errors.append(empty[1].format(definition.name))
    unique = list(dict.fromkeys(errors))
    return [
        CompositionError(
            ErrorCode.INVALID_GRAPHQL, f"[{subgraph.name}] {message}", (subgraph.name,)
        )
        for message in unique
    ]


def _key_field_names(definition: TypeDefinition) -> set[str]:
    names: set[str] = set()
    for key in definition.keys:
        try:
            selections = _selections(key.fields)
        except GraphQLError:
            continue
        names |= {s.name.value for s in selections}
    return names


def _drop_fake_externals(subgraph: Subgraph) -> None:
    """@external on a key field of a type extension only restates the key (federation
    1 required it); Apollo reads such a field as resolvable ("fake external")."""
    for definition in subgraph.types.values():
        if not any(key.extension for key in definition.keys):
            continue
        for name in _key_field_names(definition):
            found = definition.fields.get(name)
            if found is not None:
                found.external = False


def _validate_externals(subgraph: Subgraph) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for type_name, definition in subgraph.types.items():
        interface_fields = _interface_fields(subgraph, definition)
        for name, field_definition in definition.fields.items():
            if (
                field_definition.external
                and (type_name, name) not in subgraph.used_fields
                and name not in interface_fields
            ):
                errors.append(
                    CompositionError(
                        ErrorCode.EXTERNAL_UNUSED,
                        f'[{subgraph.name}] Field "{type_name}.{name}" is marked'
                        " @external but is not used in any federation directive (@key,"
                        " @provides, @requires) or to satisfy an interface; the field"
                        " declaration has no use and should be removed (or the field"
                        " should not be @external).",
                        (subgraph.name,),
                        type_name,
                        name,
                    )
                )
    return errors


def _validate_interface_objects(subgraph: Subgraph) -> list[CompositionError]:
    return [
        CompositionError(
            ErrorCode.INTERFACE_OBJECT_USAGE_ERROR,
            f"[{subgraph.name}] The @interfaceObject directive can only be applied to"
            f' entity types but type "{definition.name}" has no @key in this subgraph.',
            (subgraph.name,),
            definition.name,
        )
        for definition in subgraph.types.values()
        if definition.interface_object and not definition.keys
    ]
