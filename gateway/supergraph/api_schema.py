"""Derive the API schema clients see from a supergraph document.

Adds `@defer` (the gateway delivers deferred fragments incrementally) and removes
what belongs to Apollo's linked specs (link, core, join, inaccessible, tag, ...:
their directive definitions, their `prefix__*` types and every application of their
directives) and every element marked `@inaccessible` (inaccessible spec v0.2), including
references to inaccessible types from union member lists and `implements` clauses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql import (
    REMOVE,
    DirectiveDefinitionNode,
    DocumentNode,
    GraphQLSchema,
    TypeDefinitionNode,
    TypeExtensionNode,
    Visitor,
    build_ast_schema,
    parse,
    visit,
)

if TYPE_CHECKING:
    from graphql import Node

    from ._features import LinkedFeature

__all__ = ["build_api_schema"]

_TYPE_DEFINITIONS = {
    "object_type_definition",
    "interface_type_definition",
    "union_type_definition",
    "enum_type_definition",
    "input_object_type_definition",
    "scalar_type_definition",
    "object_type_extension",
    "interface_type_extension",
    "union_type_extension",
    "enum_type_extension",
    "input_object_type_extension",
    "scalar_type_extension",
}
_FIELD_LIKE = {"field_definition", "input_value_definition"}


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


def _marked(node: Any, directive_names: set[str]) -> bool:
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
        kind = node.kind
        if kind == "directive":
            return REMOVE if self._machinery_directive(node.name.value) else None  # type: ignore[attr-defined]
        if kind == "directive_definition":
            name = node.name.value  # type: ignore[attr-defined]
            return REMOVE if self._machinery_directive(name) else None
        if kind in _TYPE_DEFINITIONS:
            if node.name.value in self.removed_types:  # type: ignore[attr-defined]
                return REMOVE
            return None
        if kind in _FIELD_LIKE:
            if _marked(node, self.inaccessible):
                return REMOVE
            if _type_name(node.type) in self.removed_types:  # type: ignore[attr-defined]
                return REMOVE
            return None
        if kind == "enum_value_definition" and _marked(node, self.inaccessible):
            return REMOVE
        if kind == "operation_type_definition":
            removed = node.type.name.value in self.removed_types  # type: ignore[attr-defined]
            return REMOVE if removed else None
        return None

    def leave(self, node: Node, *_args: object) -> object:
        # Union members and implemented interfaces are NamedTypeNodes in a list; drop
        # the removed ones once the definition itself has been visited.
        if node.kind not in _TYPE_DEFINITIONS:
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


def _type_name(type_node: Any) -> str:
    while hasattr(type_node, "type"):
        type_node = type_node.type
    return type_node.name.value  # type: ignore[no-any-return]
