"""`@link`: which federation version a subgraph uses and what it calls each directive.

Implements the import rules of the core schema spec (https://specs.apollo.dev/link/v1.0):
an imported directive is used by its (possibly renamed) name, any other by the
namespaced `federation__name` (or the link's `as` prefix); a subgraph without a link to
the federation spec is federation 1 and uses the plain names.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from graphql import print_ast
from graphql.language import ObjectValueNode, StringValueNode

from .codes import ErrorCode, Problem

if TYPE_CHECKING:
    from graphql.language import DirectiveNode, ValueNode

__all__ = [
    "BUILT_IN_DIRECTIVES",
    "FEDERATION_DIRECTIVES",
    "FederationNames",
    "argument_value",
    "string_argument",
]

FEDERATION_SPEC = "https://specs.apollo.dev/federation/"
LINK_SPEC = "https://specs.apollo.dev/link/"
# Directives the subgraph spec defines; everything else is user-defined.
FEDERATION_DIRECTIVES = frozenset(
    {
        "key",
        "extends",
        "shareable",
        "external",
        "requires",
        "provides",
        "override",
        "inaccessible",
        "tag",
        "interfaceObject",
        "composeDirective",
        "authenticated",
        "requiresScopes",
        "policy",
        "cost",
        "listSize",
        "context",
        "fromContext",
        "cacheTag",
    }
)
BUILT_IN_DIRECTIVES = frozenset({"deprecated", "specifiedBy", "skip", "include"})
# What a @link to the federation spec may import: its directives and its types.
FEDERATION_ELEMENTS = FEDERATION_DIRECTIVES | {
    "FieldSet",
    "Scope",
    "Policy",
    "ContextFieldValue",
}


def argument_value(directive: DirectiveNode, name: str) -> ValueNode | None:
    for argument in directive.arguments or ():
        if argument.name.value == name:
            return argument.value
    return None


def string_argument(directive: DirectiveNode, name: str) -> str | None:
    value = argument_value(directive, name)
    return value.value if isinstance(value, StringValueNode) else None


def _federation_version(url: str) -> tuple[int, int] | None:
    match = re.fullmatch(r".*/v(\d+)\.(\d+)/?", url)
    return (int(match[1]), int(match[2])) if match else None


class FederationNames:
    """Maps the directive names a subgraph uses to the federation spec's names."""

    def __init__(self, document_directives: list[DirectiveNode]) -> None:
        self.version: tuple[int, int] | None = None
        self.local_to_spec: dict[str, str] = {}
        self.links: dict[str, str] = {}  # imported custom directive name -> link URL
        self.problems: list[Problem] = []  # bad @link use
        prefix = "federation"
        for directive in document_directives:
            if directive.name.value != "link":
                continue
            url = string_argument(directive, "url") or ""
            imports = argument_value(directive, "import")
            imported: list[tuple[str, str]] = []
            for value in getattr(imports, "values", ()) or ():
                if isinstance(value, StringValueNode):
                    imported.append((value.value, value.value))
                elif isinstance(value, ObjectValueNode):
                    fields = {f.name.value: f.value for f in value.fields}
                    name = getattr(fields.get("name"), "value", "")
                    alias = getattr(fields.get("as"), "value", name)
                    imported.append((name, alias))
                else:
                    self.problems.append(
                        (
                            ErrorCode.INVALID_LINK_DIRECTIVE_USAGE,
                            f"Invalid sub-value {print_ast(value)} for @link(import:)"
                            " argument: values should be either strings or input"
                            ' object values of the form { name: "<importedElement>",'
                            ' as: "<alias>" }.',
                        )
                    )
            if url.startswith(FEDERATION_SPEC):
                self.version = _federation_version(url)
                if self.version is None:
                    self.problems.append(
                        (
                            ErrorCode.INVALID_LINK_IDENTIFIER,
                            f'Invalid federation URL "{url}"',
                        )
                    )
                prefix = string_argument(directive, "as") or "federation"
                for name, alias in imported:
                    if name.lstrip("@") not in FEDERATION_ELEMENTS:
                        self.problems.append(
                            (
                                ErrorCode.INVALID_LINK_DIRECTIVE_USAGE,
                                f'Cannot import unknown element "{name}".',
                            )
                        )
                    elif name.startswith("@"):
                        self.local_to_spec[alias.lstrip("@")] = name.lstrip("@")
            elif not url.startswith(LINK_SPEC):
                for _, alias in imported:
                    self.links[alias.lstrip("@")] = url
        self.prefix = prefix
        if self.version is None and not self.problems:
            self.local_to_spec = {name: name for name in FEDERATION_DIRECTIVES}
        else:
            for name in FEDERATION_DIRECTIVES:
                self.local_to_spec.setdefault(f"{prefix}__{name}", name)

        # Custom directives the subgraph asks to keep in the supergraph.
        self.composed: set[str] = {
            (string_argument(directive, "name") or "").lstrip("@")
            for directive in document_directives
            if self.spec_name(directive) == "composeDirective"
        }

    def spec_name(self, directive: DirectiveNode) -> str | None:
        return self.local_to_spec.get(directive.name.value)

    def applies(self, node: object, spec: str) -> bool:
        return any(
            self.spec_name(directive) == spec
            for directive in getattr(node, "directives", None) or ()
        )
