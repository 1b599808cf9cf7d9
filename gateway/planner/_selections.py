"""Mutable selection trees the planner builds while walking, and their printing.

Client fields keep their alias, arguments and variable-driven @skip/@include; fields
the planner adds (keys, `__typename`, required fields) are plain. `_print.py` turns a
finished tree into operation text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from graphql import (
    print_ast,
)

if TYPE_CHECKING:
    from graphql import ArgumentNode, DirectiveNode

__all__ = [
    "FieldSel",
    "FragmentSel",
    "Sel",
    "add_field",
    "add_fragment",
    "merge_selections",
]


@dataclass(slots=True)
class FieldSel:
    """A field in a selection tree; `selections` is None for a leaf."""

    name: str
    alias: str | None = None
    arguments: tuple[ArgumentNode, ...] = ()
    directives: tuple[DirectiveNode, ...] = ()
    selections: list[Sel] | None = None
    # Named type of the field's result in the supergraph (set by the walk).
    type_name: str | None = None

    @property
    def response_key(self) -> str:
        return self.alias or self.name

    def same_field(self, other: FieldSel) -> bool:
        return (
            self.response_key == other.response_key
            and self.name == other.name
            and _printed(self.arguments) == _printed(other.arguments)
            and _printed(self.directives) == _printed(other.directives)
        )

    def shell(self) -> FieldSel:
        """A copy without sub-selections, to fill in while walking."""
        return FieldSel(
            name=self.name,
            alias=self.alias,
            arguments=self.arguments,
            directives=self.directives,
            selections=None if self.selections is None else [],
        )


@dataclass(slots=True)
class FragmentSel:
    """An inline fragment; `type_condition` None keeps only its directives."""

    type_condition: str | None
    directives: tuple[DirectiveNode, ...] = ()
    selections: list[Sel] = field(default_factory=list)

    def same_fragment(self, other: FragmentSel) -> bool:
        return self.type_condition == other.type_condition and _printed(
            self.directives
        ) == _printed(other.directives)


Sel = FieldSel | FragmentSel


def _printed(nodes: tuple[ArgumentNode, ...] | tuple[DirectiveNode, ...]) -> str:
    return " ".join(print_ast(node) for node in nodes)


def add_field(target: list[Sel], sel: FieldSel) -> FieldSel:
    """Put a shell of `sel` into `target` (or find the same field) and return it."""
    for existing in target:
        if isinstance(existing, FieldSel) and existing.same_field(sel):
            if existing.selections is None and sel.selections is not None:
                existing.selections = []
            return existing
    shell = sel.shell()
    target.append(shell)
    return shell


def add_fragment(target: list[Sel], sel: FragmentSel) -> FragmentSel:
    for existing in target:
        if isinstance(existing, FragmentSel) and existing.same_fragment(sel):
            return existing
    shell = FragmentSel(sel.type_condition, sel.directives, [])
    target.append(shell)
    return shell


def find_response_key(target: list[Sel], key: str) -> FieldSel | None:
    for existing in target:
        if isinstance(existing, FieldSel) and existing.response_key == key:
            return existing
    return None


def merge_selections(target: list[Sel], additions: list[Sel]) -> None:
    """Merge `additions` into `target`, field by field (fields merge by response
    key, arguments and directives; fragments by type condition and directives)."""
    for sel in additions:
        if isinstance(sel, FieldSel):
            placed = add_field(target, sel)
            if sel.selections is not None and placed.selections is not None:
                merge_selections(placed.selections, sel.selections)
        else:
            fragment = add_fragment(target, sel)
            merge_selections(fragment.selections, sel.selections)
