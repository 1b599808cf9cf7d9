"""Turn fetches that wholly depend on one variable condition into ConditionNodes.

A fetch whose every selection carries the same `@skip(if: $v)` or `@include(if: $v)`
is not sent with the directive: the plan runs it only when `$v` says so (Apollo's
`Condition` node), which saves the request, not just its fields.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphql import VariableNode, print_ast

from ._selections import FieldSel, FragmentSel

if TYPE_CHECKING:
    from graphql import DirectiveNode

    from ._selections import Sel
    from .fetch_graph import FetchGraph, FetchStep

__all__ = ["lift_conditions"]


def lift_conditions(graph: FetchGraph) -> None:
    """Set `condition` on every step of `graph` that wholly depends on one
    variable @skip/@include, removing the directive from its selections."""
    for step in graph.steps:
        _lift_condition(step)


def _lift_condition(step: FetchStep) -> None:
    """A step whose whole selection hangs on one `@skip/@include(if: $v)` becomes
    conditional on `$v` (a ConditionNode) instead of sending the directive."""
    if step.is_entity:
        lists = [lst for lst in step.entity_selections.values() if lst]
    else:
        lists = [step.root_selections]
    directive = _common_condition(lists)
    if directive is None:
        return
    step.condition = directive
    for selections in lists:
        only = selections[0]
        if isinstance(only, FragmentSel):
            selections[:] = only.selections
            continue
        for sel in selections:
            sel.directives = ()


def _common_condition(lists: list[list[Sel]]) -> DirectiveNode | None:
    """The one variable condition every selection of `lists` carries, if any."""
    found: DirectiveNode | None = None
    printed = ""
    for selections in lists:
        if not selections:
            return None
        only = selections[0]
        if (
            len(selections) == 1
            and isinstance(only, FragmentSel)
            and only.type_condition is None
            and _is_variable_condition(only.directives)
        ):
            conditions = [only.directives[0]]
        elif all(
            isinstance(s, FieldSel) and _is_variable_condition(s.directives)
            for s in selections
        ):
            conditions = [s.directives[0] for s in selections]
        else:
            return None
        for condition in conditions:
            text = print_ast(condition)
            if found is None:
                found, printed = condition, text
            elif text != printed:
                return None
    return found


def _is_variable_condition(directives: tuple[DirectiveNode, ...]) -> bool:
    if len(directives) != 1:
        return False
    return any(
        a.name.value == "if" and isinstance(a.value, VariableNode)
        for a in directives[0].arguments or ()
    )
