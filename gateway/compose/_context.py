"""@context and @fromContext (Federation 2.8) in the supergraph: the context spec's
`@context` on the types that set one, and join v0.5 `contextArguments` on the fields
whose arguments take their value from one (https://specs.apollo.dev/join/v0.5).

A context is named `<subgraph>__<name>` in the supergraph, as the reference composer
names it, so that two subgraphs' contexts of one name stay apart.
"""

from __future__ import annotations

import json
import re

from graphql.language import ArgumentNode, DirectiveNode, NameNode, StringValueNode

from ._wording import Raw

__all__ = ["context_arguments", "context_directive", "context_name"]

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
    subgraph: str, arguments: list[tuple[str, str, str]]
) -> Raw | None:
    """The `contextArguments` value of a field's join__field in `subgraph`, from its
    (argument, type, @fromContext field value) triples; None when it has none."""
    if not arguments:
        return None
    printed = []
    for name, type_string, field_value in arguments:
        match = _FIELD_VALUE.fullmatch(field_value)
        context, selection = match.groups() if match else ("", field_value)
        printed.append(
            f"{{context: {json.dumps(f'{subgraph}__{context}')},"
            f" name: {json.dumps(name)}, type: {json.dumps(type_string)},"
            f" selection: {json.dumps(selection)}}}"
        )
    return Raw(f"[{', '.join(printed)}]")
