"""Directive applications in a subgraph: known, imported, supported, well-formed.

The checks GraphQL validation (KnownDirectives, ProvidedRequiredArguments) and Apollo's
federation validation make on applications, worded as graphql-js and Apollo word them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphql import Visitor, print_ast, visit
from graphql.language import (
    DirectiveDefinitionNode,
    EnumValueDefinitionNode,
    FieldDefinitionNode,
    InputValueDefinitionNode,
    IntValueNode,
    StringValueNode,
    TypeDefinitionNode,
    TypeExtensionNode,
)

from ._links import BUILT_IN_DIRECTIVES, FEDERATION_DIRECTIVES
from .codes import ErrorCode, Problem, directive_code

if TYPE_CHECKING:
    from graphql.language import DirectiveNode, DocumentNode, Node

    from ._links import FederationNames

__all__ = ["directive_problems"]


class _DirectiveUses(Visitor):
    """Collects every directive application with the coordinate it is applied to."""

    def __init__(self) -> None:
        super().__init__()
        self.uses: list[tuple[DirectiveNode, str]] = []

    @property
    def names(self) -> list[str]:
        return [node.name.value for node, _ in self.uses]

    def enter_directive(
        self,
        node: DirectiveNode,
        _key: object,
        _parent: object,
        _path: object,
        ancestors: list[Node | tuple[Node, ...]],
    ) -> None:
        self.uses.append((node, _coordinate(ancestors)))


def _coordinate(ancestors: list[Node | tuple[Node, ...]]) -> str:
    """The schema coordinate (`Type.field(arg:)`) of the element being visited."""
    parts: list[str] = []
    for ancestor in ancestors:
        if isinstance(ancestor, TypeDefinitionNode | TypeExtensionNode):
            parts = [ancestor.name.value]
        elif isinstance(ancestor, FieldDefinitionNode | EnumValueDefinitionNode):
            parts.append(f".{ancestor.name.value}")
        elif isinstance(ancestor, InputValueDefinitionNode):
            if len(parts) == 2:
                parts.append(f"({ancestor.name.value}:)")
            else:
                parts.append(f".{ancestor.name.value}")
    return "".join(parts) or "schema"


# Spec directive -> (its required argument, that argument's type; {} is the prefix).
_REQUIRED_ARGUMENTS = {
    "key": ("fields", "{}__FieldSet!"),
    "requires": ("fields", "{}__FieldSet!"),
    "provides": ("fields", "{}__FieldSet!"),
    "override": ("from", "String!"),
    "tag": ("name", "String!"),
    "composeDirective": ("name", "String!"),
    "cost": ("weight", "Int!"),
    "requiresScopes": ("scopes", "[[{}__Scope!]!]!"),
    "policy": ("policies", "[[{}__Policy!]!]!"),
}
_VALUE_KINDS = {"String!": StringValueNode, "Int!": IntValueNode}


def _argument_problems(
    node: DirectiveNode, spec: str, coordinate: str, names: FederationNames
) -> list[Problem]:
    if spec not in _REQUIRED_ARGUMENTS:
        return []
    local = node.name.value
    argument, type_pattern = _REQUIRED_ARGUMENTS[spec]
    type_name = type_pattern.format(names.prefix)
    if names.version is None:
        type_name = type_name.replace("federation__FieldSet", "_FieldSet")
    value = next(
        (a.value for a in node.arguments or () if a.name.value == argument), None
    )
    if value is None:
        return [
            (
                ErrorCode.INVALID_GRAPHQL,
                f'Directive "@{local}" argument "{argument}" of type "{type_name}" is'
                " required, but it was not provided.",
            )
        ]
    if argument == "fields":
        if isinstance(value, StringValueNode):
            return []
        where = f'type "{coordinate}"' if spec == "key" else f'field "{coordinate}"'
        return [
            (
                directive_code(spec, "INVALID_FIELDS_TYPE"),
                f"On {where}, for {print_ast(node)}: Invalid value for argument"
                ' "fields": must be a string.',
            )
        ]
    kind = _VALUE_KINDS.get(type_name)
    if kind is None or isinstance(value, kind):
        return []
    return [
        (
            ErrorCode.INVALID_GRAPHQL,
            f'Invalid value for "@{local}({argument}:)" of type "{type_name}" in'
            f' application of "@{local}" to "{coordinate}".',
        )
    ]


def directive_problems(document: DocumentNode, names: FederationNames) -> list[Problem]:
    """Applied directives that are neither defined nor imported, or whose
    arguments are wrong."""
    uses = _DirectiveUses()
    visit(document, uses)
    problems: list[Problem] = []
    for node, coordinate in uses.uses:
        spec = names.spec_name(node)
        if spec is not None:
            problems += _argument_problems(node, spec, coordinate, names)
    if names.version is None:
        return problems
    defined = {
        node.name.value
        for node in document.definitions
        if isinstance(node, DirectiveDefinitionNode)
    }
    for name in uses.names:
        if name in defined or name in BUILT_IN_DIRECTIVES or name == "link":
            continue
        if name in names.local_to_spec:
            continue
        message = f'Unknown directive "@{name}".'
        if name in FEDERATION_DIRECTIVES:
            message += (
                f' If you meant the "@{name}" federation directive, you should use'
                f' fully-qualified name "@{names.prefix}__{name}" or add "@{name}" to'
                " the `import` argument of the @link to the federation specification."
            )
        problems.append((ErrorCode.INVALID_GRAPHQL, message))
    return problems
