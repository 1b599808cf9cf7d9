"""@context and @fromContext (Federation 2.8) in the supergraph: the context spec's
`@context` on the types that set one, and join v0.5 `contextArguments` on the fields
whose arguments take their value from one (https://specs.apollo.dev/join/v0.5).

A context is named `<subgraph>__<name>` in the supergraph, as the reference composer
names it, so that two subgraphs' contexts of one name stay apart.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from graphql import GraphQLError, parse
from graphql.language import (
    ArgumentNode,
    DirectiveNode,
    FieldNode,
    NameNode,
    StringValueNode,
)

from ._wording import Raw
from .codes import ErrorCode, Problem
from .errors import CompositionError
from .type_reference import TypeReference

if TYPE_CHECKING:
    from .subgraph import Field, FromContextArgument, Subgraph, TypeDefinition

__all__ = [
    "context_arguments",
    "context_directive",
    "context_name",
    "validate_contexts",
]

# `$context { prop }`: the context's name, then the selection read from it.
_FIELD_VALUE = re.compile(r"\s*\$(\w+)(.*)", re.DOTALL)


def context_name(field_value: str) -> str:
    """The context a @fromContext field value reads: `context` in `$context { a }`."""
    match = _FIELD_VALUE.fullmatch(field_value)
    return match.group(1) if match else ""


def context_directive(name: str) -> DirectiveNode:
    """`@context(name: "<subgraph>__<name>")` for a merged type."""
    return DirectiveNode(
        name=NameNode(value="context"),
        arguments=(
            ArgumentNode(
                name=NameNode(value="name"), value=StringValueNode(value=name)
            ),
        ),
    )


def context_arguments(
    subgraph: str, arguments: list[FromContextArgument]
) -> Raw | None:
    """The `contextArguments` value of a field's join__field in `subgraph`, from its
    (argument, type, @fromContext field value) triples; None when it has none."""
    if not arguments:
        return None
    printed = []
    for argument in arguments:
        name, type_string = argument.name, str(argument.type)
        match = _FIELD_VALUE.fullmatch(argument.field_value)
        context, selection = match.groups() if match else ("", argument.field_value)
        printed.append(
            f"{{context: {json.dumps(f'{subgraph}__{context}')},"
            f" name: {json.dumps(name)}, type: {json.dumps(type_string)},"
            f" selection: {json.dumps(selection)}}}"
        )
    return Raw(f"[{', '.join(printed)}]")


_CONTEXT_NAME = re.compile(r"[A-Za-z]\w*")


def validate_contexts(subgraph: Subgraph) -> list[CompositionError]:
    """The checks Apollo runs on a subgraph's @context and @fromContext
    (federation-internals, validateSubgraphSchema): context names, where a
    @fromContext argument may be, and that its context is set in this subgraph."""
    problems: list[Problem] = []
    for definition in subgraph.types.values():
        for name in definition.contexts:
            if "_" in name:
                problems.append(
                    (
                        ErrorCode.CONTEXT_NAME_INVALID,
                        f'Context name "{name}" may not contain an underscore.',
                    )
                )
            elif not _CONTEXT_NAME.fullmatch(name):
                problems.append(
                    (
                        ErrorCode.CONTEXT_NAME_INVALID,
                        f'Context name "{name}" is invalid. It should have only'
                        " alphanumeric characters.",
                    )
                )
    for definition in subgraph.types.values():
        for field in definition.fields.values():
            for argument in field.context_arguments:
                problems += _argument_problems(subgraph, definition, field, argument)
    return [
        CompositionError(code, f"[{subgraph.name}] {message}", (subgraph.name,))
        for code, message in problems
    ]


def _argument_problems(
    subgraph: Subgraph,
    definition: TypeDefinition,
    field: Field,
    argument: FromContextArgument,
) -> list[Problem]:
    coordinate = f"{definition.name}.{field.name}({argument.name}:)"
    if definition.kind != "object":
        return [
            (
                ErrorCode.CONTEXT_NOT_SET,
                "@fromContext argument cannot be used on a field that exists on an"
                f' abstract type "{coordinate}".',
            )
        ]
    problems = [
        (
            ErrorCode.CONTEXT_NOT_SET,
            "@fromContext argument cannot be used on a field implementing an"
            f' interface field "{interface}.{field.name}".',
        )
        for interface in definition.interfaces
        if field.name in getattr(subgraph.types.get(interface), "fields", {})
    ]
    if argument.has_default:
        problems.append(
            (
                ErrorCode.CONTEXT_NOT_SET,
                f'@fromContext arguments may not have a default value: "{coordinate}".',
            )
        )
    match = _FIELD_VALUE.fullmatch(argument.field_value)
    if match is None or not match.group(2).strip():
        problems.append(
            (
                ErrorCode.NO_CONTEXT_IN_SELECTION,
                "@fromContext argument does not reference a context"
                f' "{argument.field_value}".',
            )
        )
        return problems
    context = match.group(1)
    if not any(context in t.contexts for t in subgraph.types.values()):
        problems.append(
            (
                ErrorCode.CONTEXT_NOT_SET,
                f'Context "{context}" is used at location "{coordinate}" but is never'
                " set.",
            )
        )
    else:
        problems += _selection_problems(
            subgraph, context, match.group(2), coordinate, argument
        )
    if not any(key.resolvable for key in definition.keys):
        problems.append(
            (
                ErrorCode.CONTEXT_NO_RESOLVABLE_KEY,
                f'Object "{definition.name}" has no resolvable key but has a field'
                " with a contextual argument.",
            )
        )
    return problems


def _selection_problems(
    subgraph: Subgraph,
    context: str,
    selection: str,
    coordinate: str,
    argument: FromContextArgument,
) -> list[Problem]:
    """CONTEXT_INVALID_SELECTION for a selection of one field (at each level) whose
    type does not match the argument's. As Apollo's validateFieldValueType, the
    selection's type keeps its list wrappers but not its non-null ones, so an
    argument of non-null type never matches."""
    for location in subgraph.types.values():
        if context not in location.contexts:
            continue
        resolved = _selected_type(subgraph, location.name, selection)
        if resolved is not None and resolved != argument.type:
            return [
                (
                    ErrorCode.CONTEXT_INVALID_SELECTION,
                    f'Context "{context}" is used in "{coordinate}" but the selection'
                    f' is invalid: the type of the selection "{resolved}" does not'
                    f' match the expected type "{argument.type}"',
                )
            ]
    return []


def _selected_type(
    subgraph: Subgraph, type_name: str, selection: str
) -> TypeReference | None:
    """The type of a one-field-per-level selection such as `{ a { b } }` from
    `type_name`, non-null wrappers dropped; None for any other selection."""
    try:
        operation = parse(selection.strip() or "{}").definitions[0]
    except GraphQLError:
        return None
    selection_set = getattr(operation, "selection_set", None)
    list_depths: list[int] = []
    while selection_set is not None:
        selections = selection_set.selections
        if len(selections) != 1 or not isinstance(selections[0], FieldNode):
            return None
        node = selections[0]
        definition = subgraph.types.get(type_name)
        field = definition.fields.get(node.name.value) if definition else None
        if field is None:
            return None
        list_depths.append(_list_depth(field.type))
        type_name = field.type.named
        selection_set = node.selection_set
    resolved = TypeReference(name=type_name)
    for _ in range(sum(list_depths)):
        resolved = TypeReference(of_type=resolved)
    return resolved


def _list_depth(reference: TypeReference) -> int:
    depth = 0
    while reference.of_type is not None:
        depth, reference = depth + 1, reference.of_type
    return depth
