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

    from .defer import DeferDirective

__all__ = [
    "FieldSel",
    "FragmentSel",
    "Sel",
    "SelectionIndex",
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
            and _same(self.arguments, other.arguments)
            and _same(self.directives, other.directives)
        )

    def mergeable(self, other: FieldSel) -> bool:
        """Whether both may share a response key in one selection set: the same
        field and arguments, whatever their directives (GraphQL spec §5.3.2)."""
        return (
            self.response_key == other.response_key
            and self.name == other.name
            and _same(self.arguments, other.arguments)
        )

    def merge_key(self) -> tuple[str, str, str, str]:
        """Equal for two fields exactly when `same_field` holds."""
        return (
            self.response_key,
            self.name,
            _printed(self.arguments) if self.arguments else "",
            _printed(self.directives) if self.directives else "",
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
    """An inline fragment; `type_condition` None keeps only its directives.
    `defer` is the client's @defer on it (never merged with another fragment)."""

    type_condition: str | None
    directives: tuple[DirectiveNode, ...] = ()
    selections: list[Sel] = field(default_factory=list)
    defer: DeferDirective | None = None

    def same_fragment(self, other: FragmentSel) -> bool:
        return (
            self.type_condition == other.type_condition
            and self.defer == other.defer
            and _same(self.directives, other.directives)
        )

    def merge_key(self) -> tuple[str | None, str]:
        """Equal for two fragments exactly when `same_fragment` holds."""
        printed = _printed(self.directives) if self.directives else ""
        if self.defer is not None:
            printed += f" @defer#{self.defer.ordinal}"
        return (self.type_condition, printed)


Sel = FieldSel | FragmentSel


def _printed(nodes: tuple[ArgumentNode, ...] | tuple[DirectiveNode, ...]) -> str:
    return " ".join(print_ast(node) for node in nodes)


def _same(
    first: tuple[ArgumentNode, ...] | tuple[DirectiveNode, ...],
    second: tuple[ArgumentNode, ...] | tuple[DirectiveNode, ...],
) -> bool:
    """Whether two argument or directive lists print alike (most are empty)."""
    if not first or not second:
        return not first and not second
    return first is second or _printed(first) == _printed(second)


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
    shell = FragmentSel(sel.type_condition, sel.directives, [], sel.defer)
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


# Lists shorter than this are searched: cheaper than keeping an index.
_SHORT = 8


class SelectionIndex:
    """`add_field`, `add_fragment` and `find_response_key` in constant time, for
    the lists of one walk: a linear search per placed selection made planning
    quadratic (8,000 aliases of one field took 4 s). A list is indexed on first
    use and then as it grows, so while the index is in use its lists may only grow
    by appending (the walk's targets do)."""

    __slots__ = ("_lists",)

    def __init__(self) -> None:
        # id(list) -> its index; the index holds the list, so the id stays its own.
        self._lists: dict[int, _ListIndex] = {}

    def _index(self, target: list[Sel]) -> _ListIndex:
        index = self._lists.get(id(target))
        if index is None:
            index = self._lists[id(target)] = _ListIndex(target)
        index.catch_up()
        return index

    def add_field(self, target: list[Sel], sel: FieldSel) -> FieldSel:
        """What `add_field(target, sel)` does, without a search."""
        if len(target) < _SHORT:
            return add_field(target, sel)
        existing = self._index(target).fields.get(sel.merge_key())
        if existing is None:
            existing = sel.shell()
            target.append(existing)
        elif existing.selections is None and sel.selections is not None:
            existing.selections = []
        return existing

    def add_fragment(self, target: list[Sel], sel: FragmentSel) -> FragmentSel:
        """What `add_fragment(target, sel)` does, without a search."""
        if len(target) < _SHORT:
            return add_fragment(target, sel)
        existing = self._index(target).fragments.get(sel.merge_key())
        if existing is None:
            existing = FragmentSel(sel.type_condition, sel.directives, [], sel.defer)
            target.append(existing)
        return existing

    def find_response_key(self, target: list[Sel], key: str) -> FieldSel | None:
        """What `find_response_key(target, key)` returns, without a search."""
        if len(target) < _SHORT:
            return find_response_key(target, key)
        return self._index(target).response_keys.get(key)

    def merge_selections(self, target: list[Sel], additions: list[Sel]) -> None:
        """What `merge_selections(target, additions)` does, without searches."""
        for sel in additions:
            if isinstance(sel, FieldSel):
                placed = self.add_field(target, sel)
                if sel.selections is not None and placed.selections is not None:
                    self.merge_selections(placed.selections, sel.selections)
            else:
                fragment = self.add_fragment(target, sel)
                self.merge_selections(fragment.selections, sel.selections)


class _ListIndex:
    """The first field per merge key and per response key, and the first fragment
    per merge key, of the first `indexed` items of `target`."""

    __slots__ = ("fields", "fragments", "indexed", "response_keys", "target")

    def __init__(self, target: list[Sel]) -> None:
        self.target = target
        self.indexed = 0
        self.fields: dict[tuple[str, str, str, str], FieldSel] = {}
        self.response_keys: dict[str, FieldSel] = {}
        self.fragments: dict[tuple[str | None, str], FragmentSel] = {}

    def catch_up(self) -> None:
        if self.indexed == len(self.target):
            return
        for sel in self.target[self.indexed :]:
            if isinstance(sel, FieldSel):
                self.fields.setdefault(sel.merge_key(), sel)
                self.response_keys.setdefault(sel.response_key, sel)
            else:
                self.fragments.setdefault(sel.merge_key(), sel)
        self.indexed = len(self.target)
