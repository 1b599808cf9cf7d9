"""Checks on the merged supergraph that no single subgraph can make.

Apollo runs these after merging (post-merge validation and the API schema's
@inaccessible rules, https://specs.apollo.dev/inaccessible/v0.2): an entity interface's
key must reach every implementation, and what clients see must not point at what they
cannot see.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphql.language import EnumValueNode

from ._wording import subgraph_names
from .codes import ErrorCode
from .errors import CompositionError

if TYPE_CHECKING:
    from .model import MergedSupergraph, MergedType
    from .type_reference import TypeReference

__all__ = ["validate_supergraph"]


def _inaccessible(element: object) -> bool:
    directives = getattr(element, "directives", ())
    return any(d.name.value == "inaccessible" for d in directives)


def _inaccessible_rules(supergraph: MergedSupergraph) -> list[CompositionError]:
    """The inaccessible spec's rules for the API schema (inaccessible/v0.2, "Rules")."""
    errors: list[CompositionError] = []
    types = supergraph.types
    hidden = {n for n, t in types.items() if _inaccessible(t)}

    def report(
        code: ErrorCode, message: str, type_name: str, field: str | None
    ) -> None:
        errors.append(CompositionError(code, message, (), type_name, field))

    def check_default(
        default: object,
        coordinate: str,
        type_reference: TypeReference,
        type_name: str,
        field: str,
    ) -> None:
        enum = types.get(type_reference.named)
        if enum is None or enum.kind != "enum":
            return
        literals = getattr(default, "values", None) or [default]
        for literal in literals:
            value = enum.values.get(getattr(literal, "value", ""))
            if isinstance(literal, EnumValueNode) and value and _inaccessible(value):
                report(
                    ErrorCode.DEFAULT_VALUE_USES_INACCESSIBLE,
                    f'Enum value "{enum.name}.{value.name}" is @inaccessible but is'
                    f' used in the default value of "{coordinate}", which is in the'
                    " API schema.",
                    type_name,
                    field,
                )

    for merged in types.values():
        if merged.name in hidden:
            continue
        children: list[object]
        if merged.kind == "enum":
            noun, children = "values", list(merged.values.values())
        elif merged.kind == "union":
            noun, children = "members", [types[m] for m in merged.members if m in types]
        else:
            noun, children = "fields", list(merged.fields.values())
        if children and all(_inaccessible(c) for c in children):
            report(
                ErrorCode.ONLY_INACCESSIBLE_CHILDREN,
                f'Type "{merged.name}" is in the API schema but all of its {noun} are'
                " @inaccessible.",
                merged.name,
                None,
            )
        for field in merged.fields.values():
            coordinate = f"{merged.name}.{field.name}"
            if _inaccessible(field):
                if (
                    merged.kind == "input"
                    and field.type.non_null
                    and (field.default is None)
                ):
                    report(
                        ErrorCode.REQUIRED_INACCESSIBLE,
                        f'Input field "{coordinate}" is @inaccessible but is a required'
                        " input field of its type.",
                        merged.name,
                        field.name,
                    )
                for interface in merged.interfaces:
                    declared = types[interface].fields.get(field.name)
                    if (
                        interface in hidden
                        or declared is None
                        or _inaccessible(declared)
                    ):
                        continue
                    report(
                        ErrorCode.IMPLEMENTED_BY_INACCESSIBLE,
                        f'Field "{coordinate}" is @inaccessible but implements the'
                        f' interface field "{interface}.{field.name}", which is in the'
                        " API schema.",
                        merged.name,
                        field.name,
                    )
                continue
            referenced = field.type.named
            if referenced in hidden:
                report(
                    ErrorCode.REFERENCED_INACCESSIBLE,
                    f'Type "{referenced}" is @inaccessible but is referenced by'
                    f' "{coordinate}", which is in the API schema.',
                    merged.name,
                    field.name,
                )
            if field.default is not None:
                check_default(
                    field.default, coordinate, field.type, merged.name, field.name
                )
            for argument in field.arguments.values():
                argument_coordinate = f"{coordinate}({argument.name}:)"
                if _inaccessible(argument):
                    if argument.type.non_null and argument.default is None:
                        report(
                            ErrorCode.REQUIRED_INACCESSIBLE,
                            f'Argument "{argument_coordinate}" is @inaccessible but is'
                            " a required argument of its field.",
                            merged.name,
                            field.name,
                        )
                    continue
                if argument.type.named in hidden:
                    report(
                        ErrorCode.REFERENCED_INACCESSIBLE,
                        f'Type "{argument.type.named}" is @inaccessible but is'
                        f' referenced by "{argument_coordinate}", which is in the API'
                        " schema.",
                        merged.name,
                        field.name,
                    )
                if argument.default is not None:
                    check_default(
                        argument.default,
                        argument_coordinate,
                        argument.type,
                        merged.name,
                        field.name,
                    )
    return errors


def _implementations(supergraph: MergedSupergraph, interface: str) -> list[MergedType]:
    return [
        t
        for t in supergraph.types.values()
        if t.kind == "object" and interface in t.interfaces
    ]


def _interface_keys_reach_implementations(
    supergraph: MergedSupergraph,
) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for subgraph in supergraph.subgraphs:
        for definition in subgraph.types.values():
            if definition.kind != "interface":
                continue
            key = next((k for k in definition.keys if k.resolvable), None)
            if key is None:
                continue
            name = definition.name
            missing = [
                t.name
                for t in _implementations(supergraph, name)
                if t.name not in subgraph.types
                or name not in subgraph.types[t.name].interfaces
            ]
            if not missing:
                continue
            noun = "type" if len(missing) == 1 else "types"
            pronoun = "it" if len(missing) == 1 else "them"
            listed = subgraph_names(missing).split(" ", 1)[1]
            errors.append(
                CompositionError(
                    ErrorCode.INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE,
                    f'[{subgraph.name}] Interface type "{name}" has a resolvable key'
                    f' ({key.source}) in subgraph "{subgraph.name}" but that subgraph'
                    " is missing some of the supergraph implementation types of"
                    f' "{name}". Subgraph "{subgraph.name}" should define {noun}'
                    f' {listed} (and have {pronoun} implement "{name}").',
                    (subgraph.name,),
                    name,
                )
            )
    return errors


def validate_supergraph(supergraph: MergedSupergraph) -> list[CompositionError]:
    """Post-merge errors: no queries, interface keys missing implementations, then
    @inaccessible references."""
    query = supergraph.types.get("Query")
    if query is None or not query.fields:
        return [
            CompositionError(
                ErrorCode.NO_QUERIES,
                "No queries found in any subgraph: a supergraph must have a query root"
                " type.",
            )
        ]
    return _interface_keys_reach_implementations(supergraph) + (
        _inaccessible_rules(supergraph)
    )
