"""Normalize a client operation before planning.

Passes, in order: pick the operation; inline named fragment spreads as inline
fragments; drop selections statically skipped (`@skip(if: true)`,
`@include(if: false)`) and strip statically passing conditions; drop directives other
than variable-driven @skip/@include (subgraphs need not know client directives); drop
introspection root fields (`__schema`, `__type`, root `__typename`), which the gateway
answers itself (GraphQL spec §4.1, "Introspection").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from graphql import (
    BooleanValueNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationType,
    get_operation_ast,
)

from ..errors import PlanningError
from ._selections import FieldSel, FragmentSel, Sel

if TYPE_CHECKING:
    from graphql import (
        DirectiveNode,
        DocumentNode,
        SelectionSetNode,
        VariableDefinitionNode,
    )

__all__ = ["NormalizedOperation", "normalize_operation"]

INTROSPECTION_ROOT_FIELDS = frozenset({"__schema", "__type", "__typename"})


@dataclass(frozen=True, slots=True)
class NormalizedOperation:
    """The operation to plan: fragments inlined, static conditions applied."""

    kind: str
    name: str | None
    variable_definitions: tuple[VariableDefinitionNode, ...]
    selections: tuple[Sel, ...]


def normalize_operation(
    document: DocumentNode, operation_name: str | None = None
) -> NormalizedOperation:
    """Select and normalize `operation_name` of `document` (validated by the caller).

    Raises PlanningError when the operation cannot be found.
    """
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        wanted = f"'{operation_name}'" if operation_name else "an unnamed operation"
        raise PlanningError(f"The document has no operation {wanted} to plan.")
    fragments = {
        d.name.value: d
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    selections = _selections(operation.selection_set, fragments, frozenset())
    selections = [
        s
        for s in selections
        if not (isinstance(s, FieldSel) and s.name in INTROSPECTION_ROOT_FIELDS)
    ]
    return NormalizedOperation(
        kind=operation.operation.value
        if isinstance(operation.operation, OperationType)
        else str(operation.operation),
        name=operation.name.value if operation.name else None,
        variable_definitions=tuple(operation.variable_definitions or ()),
        selections=tuple(_drop_empty_root_fragments(selections)),
    )


def _drop_empty_root_fragments(selections: list[Sel]) -> list[Sel]:
    kept: list[Sel] = []
    for sel in selections:
        if isinstance(sel, FragmentSel):
            sel.selections = [
                s
                for s in _drop_empty_root_fragments(sel.selections)
                if not (isinstance(s, FieldSel) and s.name in INTROSPECTION_ROOT_FIELDS)
            ]
            if not sel.selections:
                continue
        kept.append(sel)
    return kept


def _selections(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    visiting: frozenset[str],
) -> list[Sel]:
    result: list[Sel] = []
    for node in selection_set.selections if selection_set else ():
        directives = _conditions(node.directives or ())
        if directives is None:
            continue  # statically skipped
        if isinstance(node, FieldNode):
            sub = None
            if node.selection_set is not None:
                sub = _selections(node.selection_set, fragments, visiting)
            result.append(
                FieldSel(
                    name=node.name.value,
                    alias=node.alias.value if node.alias else None,
                    arguments=tuple(node.arguments or ()),
                    directives=directives,
                    selections=sub,
                )
            )
        elif isinstance(node, InlineFragmentNode):
            condition = node.type_condition.name.value if node.type_condition else None
            result.append(
                FragmentSel(
                    condition,
                    directives,
                    _selections(node.selection_set, fragments, visiting),
                )
            )
        elif isinstance(node, FragmentSpreadNode):
            name = node.name.value
            fragment = fragments.get(name)
            if fragment is None or name in visiting:
                raise PlanningError(f"Fragment '{name}' is unknown or cyclic.")
            result.append(
                FragmentSel(
                    fragment.type_condition.name.value,
                    directives,
                    _selections(fragment.selection_set, fragments, visiting | {name}),
                )
            )
    return result


def _conditions(
    directives: tuple[DirectiveNode, ...] | list[DirectiveNode],
) -> tuple[DirectiveNode, ...] | None:
    """The variable-driven @skip/@include to keep, or None when statically skipped."""
    kept: list[DirectiveNode] = []
    for directive in directives:
        name = directive.name.value
        if name not in ("skip", "include"):
            continue
        argument = next(
            (a for a in directive.arguments or () if a.name.value == "if"), None
        )
        if argument is None:
            continue
        if isinstance(argument.value, BooleanValueNode):
            if argument.value.value == (name == "skip"):
                return None
            continue
        kept.append(directive)
    return tuple(kept)
