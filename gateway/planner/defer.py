"""@defer (GraphQL incremental delivery): which fragments of a document are deferred.

Each `@defer` directive is numbered by its place in the document (document order),
so the planner and the projection, both built from the one document the request
pipeline shares per normalised text, name every deferred fragment alike. A
`@defer(if: false)` is no deferral; `@defer(if: $v)` is decided per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from graphql import BooleanValueNode, StringValueNode, VariableNode, Visitor, visit

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from graphql import DirectiveNode, DocumentNode

__all__ = ["DEFER", "DeferDirective", "defer_directives", "is_deferred"]

DEFER = "defer"


@dataclass(frozen=True, slots=True)
class DeferDirective:
    """One `@defer` of a document."""

    # Its place among the document's @defer directives, in document order.
    ordinal: int
    label: str | None
    # The variable of `if:`; None when the fragment is always deferred.
    condition: str | None

    def active(self, variables: dict[str, Any]) -> bool:
        """Whether the fragment is deferred for a request with `variables`."""
        return self.condition is None or variables.get(self.condition) is not False


class _DeferCollector(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: dict[int, DeferDirective] = {}
        self.count = 0

    def enter_directive(self, node: DirectiveNode, *_: object) -> None:
        if node.name.value != DEFER:
            return
        ordinal = self.count
        self.count += 1
        label: str | None = None
        condition: str | None = None
        for argument in node.arguments or ():
            value = argument.value
            if argument.name.value == "label" and isinstance(value, StringValueNode):
                label = value.value
            elif argument.name.value == "if":
                if isinstance(value, BooleanValueNode) and not value.value:
                    return  # `if: false`: not deferred at all
                if isinstance(value, VariableNode):
                    condition = value.name.value
        self.found[id(node)] = DeferDirective(ordinal, label, condition)


def defer_directives(document: DocumentNode) -> dict[int, DeferDirective]:
    """id(DirectiveNode) -> its DeferDirective, for every @defer of `document`
    that may defer (an `if: false` one never does)."""
    collector = _DeferCollector()
    visit(document, collector)
    return collector.found


def is_deferred(
    directives: Iterable[DirectiveNode] | None, found: dict[int, DeferDirective]
) -> DeferDirective | None:
    """The deferral among `directives` (a node's), if any."""
    for directive in directives or ():
        deferral = found.get(id(directive))
        if deferral is not None:
            return deferral
    return None
