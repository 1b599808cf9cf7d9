"""Directive applications in a subgraph: known, imported, supported, well-formed.

The checks GraphQL validation (KnownDirectives, ProvidedRequiredArguments) and Apollo's
federation validation make on applications, worded as graphql-js and Apollo word them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphql import Visitor, visit
from graphql.language import DirectiveDefinitionNode

from ._links import BUILT_IN_DIRECTIVES, FEDERATION_DIRECTIVES

if TYPE_CHECKING:
    from graphql.language import DirectiveNode, DocumentNode

    from ._links import FederationNames

__all__ = ["directive_problems"]


class _DirectiveUses(Visitor):
    """Collects the name of every directive application in a document."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def enter_directive(self, node: DirectiveNode, *_: object) -> None:
        self.names.append(node.name.value)


# Federation directives this composer does not implement: refuse rather than drop them.
UNSUPPORTED_DIRECTIVES = frozenset({"context", "fromContext", "cacheTag"})


def directive_problems(
    document: DocumentNode, names: FederationNames
) -> list[tuple[str, str]]:
    """Applied directives that are neither defined nor imported, or not supported."""
    uses = _DirectiveUses()
    visit(document, uses)
    problems = [
        (
            "UNSUPPORTED_FEATURE",
            f'Directive "@{spec}" is not supported by this composer: remove it from'
            " the subgraph or compose this supergraph with Apollo's tools.",
        )
        for spec in dict.fromkeys(names.local_to_spec.get(n) for n in uses.names)
        if spec in UNSUPPORTED_DIRECTIVES
    ]
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
        problems.append(("INVALID_GRAPHQL", message))
    return problems
