"""The `@link` (and Federation 1 `@core`) features a supergraph declares.

Link spec v1.0: a feature's elements are named `@prefix` (its root directive) and
`prefix__name`, where `prefix` is the feature name or the link's `as:`; `import:` brings
elements in under their own (or an `as:`) name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from graphql import SchemaDefinitionNode, SchemaExtensionNode, value_from_ast_untyped

if TYPE_CHECKING:
    from graphql import ConstDirectiveNode, DirectiveNode, DocumentNode

__all__ = ["LinkedFeature", "directive_arguments", "linked_features"]

_URL = re.compile(r"^(?P<base>.*/(?P<name>[A-Za-z_][\w-]*))/v(?P<version>\d+\.\d+)/?$")
APOLLO_SPECS = "https://specs.apollo.dev/"


@dataclass(frozen=True, slots=True)
class LinkedFeature:
    """One `@link(url:, as:, import:, for:)` (or `@core(feature:)`)."""

    url: str
    name: str
    version: str
    prefix: str
    imports: dict[str, str] = field(default_factory=dict)  # element -> local name

    @property
    def is_apollo_spec(self) -> bool:
        return self.url.startswith(APOLLO_SPECS)

    def directive_name(self, element: str) -> str:
        """Local name of the feature's directive `element` (without `@`)."""
        imported = self.imports.get(f"@{element}")
        if imported is not None:
            return imported.lstrip("@")
        if element == self.name:
            return self.prefix
        return f"{self.prefix}__{element}"

    def owns_directive(self, local: str) -> bool:
        if local == self.prefix or local.startswith(f"{self.prefix}__"):
            return True
        return f"@{local}" in {v for k, v in self.imports.items() if k.startswith("@")}

    def owns_type(self, local: str) -> bool:
        if local.startswith(f"{self.prefix}__"):
            return True
        return local in {v for k, v in self.imports.items() if not k.startswith("@")}


def directive_arguments(node: DirectiveNode | ConstDirectiveNode) -> dict[str, object]:
    """The literal arguments of a directive application, as plain Python values."""
    return {
        arg.name.value: value_from_ast_untyped(arg.value)
        for arg in node.arguments or ()
    }


def linked_features(document: DocumentNode) -> tuple[LinkedFeature, ...]:
    """Every feature linked on the schema definition (or extensions) of `document`."""
    features: list[LinkedFeature] = []
    for definition in document.definitions:
        if not isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            continue
        for directive in definition.directives or ():
            name = directive.name.value
            args = directive_arguments(directive)
            url = args.get("url") if name == "link" else None
            if name == "core":
                url = args.get("feature")
            if not isinstance(url, str):
                continue
            features.append(_feature(url, args))
    return tuple(features)


def _feature(url: str, args: dict[str, object]) -> LinkedFeature:
    match = _URL.match(url)
    name = match["name"] if match else url.rstrip("/").rsplit("/", 1)[-1]
    version = match["version"] if match else ""
    prefix = args.get("as")
    imports: dict[str, str] = {}
    listed = args.get("import")
    for item in listed if isinstance(listed, list) else ():
        if isinstance(item, str):
            imports[item] = item
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            local = item.get("as") or item["name"]
            imports[item["name"]] = str(local)
    return LinkedFeature(
        url=url,
        name=name,
        version=version,
        prefix=prefix if isinstance(prefix, str) else name,
        imports=imports,
    )
