"""Derive the API schema clients see from a supergraph document.

Adds `@defer` (the gateway delivers deferred fragments incrementally) and removes
what belongs to Apollo's linked specs (link, core, join, inaccessible, tag, ...:
their directive definitions, their `prefix__*` types and every application of their
directives) and every element marked `@inaccessible` (inaccessible spec v0.2), including
references to inaccessible types from union member lists and `implements` clauses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from graphql import (
    REMOVE,
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    EnumValueDefinitionNode,
    FieldDefinitionNode,
    GraphQLSchema,
    InputValueDefinitionNode,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    OperationTypeDefinitionNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    Visitor,
    build_ast_schema,
    parse,
    visit,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from graphql import Node, TypeNode

    from ._features import LinkedFeature

__all__ = ["build_api_schema"]


def build_api_schema(
    document: DocumentNode, features: tuple[LinkedFeature, ...]
) -> GraphQLSchema:
    """Build the API schema from a supergraph document (already parsed)."""
    machinery = tuple(f for f in features if f.is_apollo_spec)
    inaccessible = {
        f.directive_name("inaccessible") for f in machinery if f.name == "inaccessible"
    } or {"inaccessible"}
    removed_types = {
        definition.name.value
        for definition in document.definitions
        if isinstance(definition, TypeDefinitionNode | TypeExtensionNode)
        and (
            any(f.owns_type(definition.name.value) for f in machinery)
            or _marked(definition, inaccessible)
        )
    }
    stripped = visit(document, _Strip(machinery, inaccessible, removed_types))
    if not any(
        isinstance(d, DirectiveDefinitionNode) and d.name.value == "defer"
        for d in stripped.definitions
    ):
        # The gateway delivers deferred fragments (GraphQL incremental delivery),
        # as Apollo Router and Hive Gateway declare in their API schemas.
        stripped = DocumentNode(
            definitions=(*stripped.definitions, *_DEFER.definitions)
        )
    return build_ast_schema(stripped, assume_valid_sdl=True)


_DEFER = parse(
    "directive @defer(if: Boolean! = true, label: String)"
    " on FRAGMENT_SPREAD | INLINE_FRAGMENT"
)


class _Directed(Protocol):
    @property
    def directives(self) -> Sequence[DirectiveNode] | None: ...


def _marked(node: _Directed, directive_names: set[str]) -> bool:
    return any(d.name.value in directive_names for d in node.directives or ())


class _Strip(Visitor):
    def __init__(
        self,
        machinery: tuple[LinkedFeature, ...],
        inaccessible: set[str],
        removed_types: set[str],
    ) -> None:
        super().__init__()
        self.machinery = machinery
        self.inaccessible = inaccessible
        self.removed_types = removed_types

    def _machinery_directive(self, name: str) -> bool:
        return any(f.owns_directive(name) for f in self.machinery)

    def enter(self, node: Node, *_args: object) -> object:
        if isinstance(node, DirectiveNode | DirectiveDefinitionNode):
            return REMOVE if self._machinery_directive(node.name.value) else None
        if isinstance(node, TypeDefinitionNode | TypeExtensionNode):
            return REMOVE if node.name.value in self.removed_types else None
        if isinstance(node, FieldDefinitionNode | InputValueDefinitionNode):
            if _marked(node, self.inaccessible):
                return REMOVE
            return REMOVE if _type_name(node.type) in self.removed_types else None
        if isinstance(node, EnumValueDefinitionNode):
            return REMOVE if _marked(node, self.inaccessible) else None
        if isinstance(node, OperationTypeDefinitionNode):
            return REMOVE if node.type.name.value in self.removed_types else None
        return None

    def leave(self, node: Node, *_args: object) -> object:
        # Union members and implemented interfaces are NamedTypeNodes in a list; drop
        # the removed ones once the definition itself has been visited.
        if not isinstance(node, TypeDefinitionNode | TypeExtensionNode):
            return None
        replaced: dict[str, object] = {}
        for attr in ("types", "interfaces"):
            names = getattr(node, attr, None)
            if not names:
                continue
            kept = tuple(n for n in names if n.name.value not in self.removed_types)
            if len(kept) != len(names):
                replaced[attr] = kept
        if not replaced:
            return None
        # AST nodes are immutable: rebuild the definition with the kept names.
        fields = {key: getattr(node, key) for key in node.keys}
        return type(node)(**{**fields, **replaced})


def _type_name(type_node: TypeNode) -> str:
    while isinstance(type_node, ListTypeNode | NonNullTypeNode):
        type_node = type_node.type
    assert isinstance(type_node, NamedTypeNode)
    return type_node.name.value
