"""Print a merged supergraph as SDL: `@link` v1.0, the join spec and the kept features.

The layout follows the reference composer's output so a diff between the two reads well;
equality is judged on parsed documents, not on text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphql import print_ast
from graphql.language.block_string import print_block_string

from ._specs import (
    FEATURE_DEFINITIONS,
    FEATURE_LINKS,
    JOIN_DEFINITIONS,
    LINK_DEFINITIONS,
    join_version_for,
)

if TYPE_CHECKING:
    from graphql.language import DirectiveDefinitionNode, DirectiveNode

    from .model import MergedArgument, MergedField, MergedSupergraph, MergedType

__all__ = ["print_supergraph"]

_KEYWORDS = {
    "object": "type",
    "interface": "interface",
    "union": "union",
    "enum": "enum",
    "input": "input",
    "scalar": "scalar",
}


def _description(text: str | None, indent: str = "") -> str:
    if not text:
        return ""
    block = print_block_string(text, minimize=True)
    return (
        "\n".join(indent + line if line else line for line in block.split("\n")) + "\n"
    )


def _directives(nodes: list[DirectiveNode]) -> str:
    return "".join(" " + print_ast(node) for node in nodes)


def _arguments(arguments: dict[str, MergedArgument]) -> str:
    if not arguments:
        return ""
    printed = []
    for argument in arguments.values():
        text = f"{argument.name}: {argument.type}"
        if argument.default is not None:
            text += f" = {print_ast(argument.default)}"
        printed.append(
            _description(argument.description).replace("\n", " ")
            + text
            + _directives(argument.directives)
        )
    return f"({', '.join(printed)})"


def _field(field: MergedField) -> str:
    text = f"  {field.name}{_arguments(field.arguments)}: {field.type}"
    if field.default is not None:
        text += f" = {print_ast(field.default)}"
    joins = "".join(" " + j for j in field.join)
    # Apollo prints @inaccessible before the join metadata and the rest after it.
    first = [d for d in field.directives if d.name.value == "inaccessible"]
    rest = [d for d in field.directives if d.name.value != "inaccessible"]
    return (
        _description(field.description, "  ")
        + text
        + _directives(first)
        + joins
        + _directives(rest)
    )


def _type(merged: MergedType) -> str:
    head = f"{_KEYWORDS[merged.kind]} {merged.name}"
    if merged.interfaces:
        head += " implements " + " & ".join(merged.interfaces)
    lines = [f"  {j}" for j in sorted(merged.join, key=_join_order)]
    lines += [f"  {print_ast(d)}" for d in merged.directives]
    text = _description(merged.description) + head
    if lines:
        text += "\n" + "\n".join(lines)
    if merged.kind == "union":
        if merged.members:
            text += "\n" if lines else ""
            text += " = " + " | ".join(merged.members)
        return text
    if merged.kind == "scalar":
        return text
    if merged.kind == "enum":
        body = [
            _description(v.description, "  ")
            + f"  {v.name}"
            + "".join(" " + j for j in v.join)
            + _directives(v.directives)
            for v in merged.values.values()
        ]
    else:
        body = [_field(f) for f in merged.fields.values()]
    if not body:
        return text
    return text + ("\n{\n" if lines else " {\n") + "\n".join(body) + "\n}"


def _join_order(text: str) -> int:
    # join__implements first, then join__type, then join__unionMember (as Apollo does);
    # sorted() is stable, so each kind keeps the subgraph order.
    if text.startswith("@join__implements"):
        return 0
    return 2 if text.startswith("@join__unionMember") else 1


def _used_directives(supergraph: MergedSupergraph) -> set[str]:
    used: set[str] = set()
    for merged in supergraph.types.values():
        nodes = list(merged.directives)
        for field in merged.fields.values():
            nodes += field.directives
            for argument in field.arguments.values():
                nodes += argument.directives
        for value in merged.values.values():
            nodes += value.directives
        used.update(node.name.value for node in nodes)
    return used


CACHE_TAG_URL = "https://specs.apollo.dev/cacheTag/v0.1"


def _uses_cache_tags(supergraph: MergedSupergraph) -> bool:
    return any(
        "federation__cacheTag" in join
        for merged in supergraph.types.values()
        for join in [
            *merged.join,
            *(j for f in merged.fields.values() for j in f.join),
        ]
    )


def print_supergraph(
    supergraph: MergedSupergraph,
    composed: dict[str, tuple[str | None, DirectiveDefinitionNode]],
) -> str:
    """The supergraph SDL, linking only the features its elements use."""
    versions = [s.federation_version or (2, 0) for s in supergraph.subgraphs]
    join_version = join_version_for(max(versions, default=(2, 0)))
    used = _used_directives(supergraph)
    links = [
        '@link(url: "https://specs.apollo.dev/link/v1.0")',
        f'@link(url: "https://specs.apollo.dev/join/{join_version}", for: EXECUTION)',
    ]
    definitions = [LINK_DEFINITIONS.strip(), JOIN_DEFINITIONS[join_version].strip()]
    features = set(used)
    if "listSize" in features:
        features.add("cost")
    for name, (url, purpose) in FEATURE_LINKS.items():
        if name not in features:
            continue
        link = f'@link(url: "{url}"'
        if purpose is not None:
            link += f", for: {purpose}"
        if name == "cost" and "listSize" in used:
            link += ', import: ["@listSize"]'
        links.append(link + ")")
        definitions.append(FEATURE_DEFINITIONS[name])
        if name == "cost":
            # The spec's other directive keeps its namespaced name unless imported.
            list_size = FEATURE_DEFINITIONS["listSize"]
            if "listSize" not in used:
                list_size = list_size.replace("@listSize", "@cost__listSize")
            definitions.append(list_size)
    imports_by_url: dict[str, list[str]] = {}
    for name, (link_url, definition) in sorted(composed.items()):
        if name not in used:
            continue
        if link_url is not None:
            imports_by_url.setdefault(link_url, []).append(f'"@{name}"')
        definitions.append(print_ast(definition))
    for url, imports in imports_by_url.items():
        links.append(f'@link(url: "{url}", import: [{", ".join(imports)}])')
    if _uses_cache_tags(supergraph):
        # Carried by join__directive: the link says a router may read them.
        links.append(f'@link(url: "{CACHE_TAG_URL}", for: EXECUTION)')
    roots = "\n".join(f"  {r.lower()}: {r}" for r in supergraph.root_types)
    schema = (
        "schema\n" + "\n".join(f"  {link}" for link in links) + f"\n{{\n{roots}\n}}"
    )
    graphs = "\n".join(
        f'  {value} @join__graph(name: "{subgraph.name}", url: "{subgraph.url}")'
        for subgraph in supergraph.subgraphs
        for value in [supergraph.graph_names[subgraph.name]]
    )
    definitions.append(f"enum join__Graph {{\n{graphs}\n}}")
    for directive in supergraph.directives:
        repeatable = " repeatable" if directive.repeatable else ""
        definitions.append(
            _description(directive.description)
            + f"directive @{directive.name}{_arguments(directive.arguments)}"
            + f"{repeatable} on {' | '.join(directive.locations)}"
        )
    types = [_type(supergraph.types[name]) for name in sorted(supergraph.types)]
    return "\n\n".join([schema, *definitions, *types]) + "\n"
