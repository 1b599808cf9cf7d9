"""Print a fetch's selection tree as operation text, collecting variable usages.

The output is exactly graphql-core's `print_ast` of the same operation, written
straight from the planner's selection tree: building AST nodes and printing them took
most of the planning time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphql import (
    ListValueNode,
    ObjectValueNode,
    OperationType,
    VariableNode,
    print_ast,
)

from ._selections import FieldSel, FragmentSel

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from graphql import (
        ArgumentNode,
        DirectiveNode,
        ValueNode,
    )

    from ._selections import Sel

__all__ = ["print_operation"]

_INDENT = "  "


def print_operation(
    kind: OperationType,
    name: str | None,
    selections: Sequence[Sel],
    needs_typename: Callable[[str | None], bool],
    definitions: Callable[[list[str]], list[str]],
    head_lines: tuple[str, ...] = (),
) -> tuple[str, list[str]]:
    """The operation text and the variables its selections use, in order of use.

    `definitions` maps the used variable names to the printed definitions to
    declare;
    `head_lines` wrap the selections (the `_entities(...) {` line of an entity
    fetch), each adding one indentation level.
    """
    usages: dict[str, None] = {}
    depth = 1 + len(head_lines)
    body: list[str] = []
    _selection_lines(selections, needs_typename, None, depth, body, usages)
    opened = [_INDENT * (i + 1) + line for i, line in enumerate(head_lines)]
    closed = [_INDENT * (i + 1) + "}" for i in reversed(range(len(head_lines)))]
    declared = definitions(list(usages))
    header = "{"
    if declared or name or kind is not OperationType.QUERY:
        variables = ""
        if declared:
            variables = "(" + ", ".join(declared) + ")"
        label = f" {name}" if name else (" " if variables else "")
        header = f"{kind.value}{label}{variables} {{"
    text = "\n".join([header, *opened, *body, *closed, "}"])
    return text, list(usages)


def _selection_lines(
    selections: Sequence[Sel],
    needs_typename: Callable[[str | None], bool],
    parent_type: str | None,
    depth: int,
    out: list[str],
    usages: dict[str, None],
) -> None:
    pad = _INDENT * depth
    if needs_typename(parent_type) and not any(
        isinstance(s, FieldSel) and s.name == "__typename" and s.alias is None
        for s in selections
    ):
        out.append(f"{pad}__typename")
    for sel in selections:
        if isinstance(sel, FragmentSel) and _empty(sel.selections):
            # Everything it held was planned elsewhere: `... on T { }` is invalid.
            continue
        directives = _directives(sel.directives, usages)
        if isinstance(sel, FieldSel):
            head = f"{sel.alias}: {sel.name}" if sel.alias else sel.name
            if sel.arguments:
                head += "(" + _arguments(sel.arguments, usages) + ")"
            head += directives
            if sel.selections is None:
                out.append(pad + head)
                continue
            out.append(f"{pad}{head} {{")
            printed = len(out)
            _selection_lines(
                sel.selections, needs_typename, sel.type_name, depth + 1, out, usages
            )
            if len(out) == printed:
                # Everything selected here was skipped or planned elsewhere, and
                # `{ }` is no valid selection set (issue 16, differential family 3).
                out.append(f"{pad}{_INDENT}__typename")
        else:
            condition = f" on {sel.type_condition}" if sel.type_condition else ""
            out.append(f"{pad}...{condition}{directives} {{")
            # The enclosing field already carries `__typename` for its object.
            _selection_lines(
                sel.selections, needs_typename, None, depth + 1, out, usages
            )
        out.append(pad + "}")


def _empty(selections: Sequence[Sel]) -> bool:
    return all(isinstance(s, FragmentSel) and _empty(s.selections) for s in selections)


def _arguments(arguments: tuple[ArgumentNode, ...], usages: dict[str, None]) -> str:
    for argument in arguments:
        _collect(argument.value, usages)
    return ", ".join(print_ast(argument) for argument in arguments)


def _directives(directives: tuple[DirectiveNode, ...], usages: dict[str, None]) -> str:
    text = ""
    for directive in directives:
        text += f" @{directive.name.value}"
        if directive.arguments:
            text += "(" + _arguments(tuple(directive.arguments), usages) + ")"
    return text


def _collect(value: ValueNode, usages: dict[str, None]) -> None:
    if isinstance(value, VariableNode):
        usages[value.name.value] = None
    elif isinstance(value, ListValueNode):
        for item in value.values:
            _collect(item, usages)
    elif isinstance(value, ObjectValueNode):
        for field in value.fields:
            _collect(field.value, usages)
