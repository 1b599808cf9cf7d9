"""A parsed supergraph reduced to what must agree: definitions, join metadata, links.

Order of definitions, fields, directives and union members is ignored; everything else
(types, arguments, defaults, descriptions, every directive with its arguments) counts.
"""

from __future__ import annotations

from typing import Any

from graphql import parse, print_ast
from graphql.language import (
    DirectiveDefinitionNode,
    SchemaDefinitionNode,
    TypeDefinitionNode,
)


def _directives(node: Any) -> list[str]:
    return sorted(print_ast(d) for d in node.directives or ())


def _description(node: Any) -> str | None:
    return node.description.value if node.description else None


def _arguments(node: Any) -> dict[str, Any]:
    return {
        a.name.value: {
            "type": print_ast(a.type),
            "default": print_ast(a.default_value) if a.default_value else None,
            "directives": _directives(a),
            "description": _description(a),
        }
        for a in getattr(node, "arguments", None) or ()
    }


def normalize_supergraph(sdl: str) -> dict[str, Any]:
    """Map each definition of a supergraph SDL to a comparable, order-free value."""
    result: dict[str, Any] = {}
    for node in parse(sdl).definitions:
        if isinstance(node, SchemaDefinitionNode):
            result["schema"] = {
                "links": _directives(node),
                "operations": sorted(
                    f"{o.operation.value}: {o.type.name.value}"
                    for o in node.operation_types
                ),
            }
        elif isinstance(node, DirectiveDefinitionNode):
            result[f"@{node.name.value}"] = {
                "arguments": _arguments(node),
                "repeatable": node.repeatable,
                "locations": sorted(loc.value for loc in node.locations),
            }
        elif isinstance(node, TypeDefinitionNode):
            result[node.name.value] = {
                "kind": node.kind,
                "description": _description(node),
                "directives": _directives(node),
                "interfaces": sorted(
                    i.name.value for i in getattr(node, "interfaces", None) or ()
                ),
                "members": sorted(
                    t.name.value for t in getattr(node, "types", None) or ()
                ),
                "fields": {
                    f.name.value: {
                        "type": print_ast(f.type),
                        "description": _description(f),
                        "directives": _directives(f),
                        "arguments": _arguments(f),
                        "default": print_ast(f.default_value)
                        if getattr(f, "default_value", None)
                        else None,
                    }
                    for f in getattr(node, "fields", None) or ()
                },
                "values": {
                    v.name.value: {
                        "description": _description(v),
                        "directives": _directives(v),
                    }
                    for v in getattr(node, "values", None) or ()
                },
            }
    return result
