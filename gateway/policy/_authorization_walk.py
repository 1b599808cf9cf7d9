"""Remove from an operation what a caller may not select, in one linear walk.

Each named fragment is filtered once, whatever the number of its spreads: its
filtered selection set, and the paths it removed relative to its own root, are
memoised and prefixed at each spread (Apollo Router's `fragments_unauthorized_paths`,
deduplicated, so `fragment Fk { ...Fk-1 ...Fk-1 }` stays linear).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from graphql import SelectionNode

    from ._authorization_rules import AuthorizationRules, Grants, Requirement

__all__ = ["MAX_REPORTED_PATHS", "Removal", "Walk"]

# Paths reported per fragment and per operation; a hostile document can name
# exponentially many (aliased fields under doubling fragments); the filtering
# itself is complete whatever the number.
MAX_REPORTED_PATHS = 100

LIST_ITEMS = "@"
_INTROSPECTION = frozenset({"__typename", "__schema", "__type"})

Path = tuple[str, ...]


class Removal:
    """What the walk of one selection set (an operation's or a fragment's) found:
    the paths it removed (relative to its root) and their schema coordinates."""

    __slots__ = ("coordinates", "paths")

    def __init__(self) -> None:
        self.paths: dict[Path, None] = {}
        self.coordinates: set[str] = set()

    def add(self, path: Path) -> None:
        if len(self.paths) < MAX_REPORTED_PATHS:
            self.paths[path] = None


def _marker(type_name: str) -> str:
    return f"... on {type_name}"


class Walk:
    """One filtering of one document for one caller.

    `fragments` are the document's definitions; `filtered` memoises each one's
    filtered selection set (None when nothing is left) with what it removed.
    """

    def __init__(
        self,
        rules: AuthorizationRules,
        grants: Grants,
        fragments: Mapping[str, FragmentDefinitionNode],
        *,
        dry_run: bool,
    ) -> None:
        self.rules = rules
        self.grants = grants
        self.fragments = fragments
        self.dry_run = dry_run
        self.filtered: dict[str, tuple[SelectionSetNode | None, Removal]] = {}
        self._allowed: dict[int, bool] = {}

    def allows(self, requirement: Requirement | None) -> bool:
        if requirement is None:
            return True
        # Requirements are shared by many fields: decide each once per walk.
        key = id(requirement)
        allowed = self._allowed.get(key)
        if allowed is None:
            allowed = self._allowed[key] = requirement.allows(self.grants)
        return allowed

    def fragment(self, name: str) -> tuple[SelectionSetNode | None, Removal]:
        """The filtered selection set of fragment `name`, and what it removed."""
        done = self.filtered.get(name)
        if done is not None:
            return done
        definition = self.fragments[name]
        removal = Removal()
        # Validation rules out cycles (NoFragmentCycles); this stops one anyway.
        self.filtered[name] = (definition.selection_set, removal)
        result = self.selection_set(
            definition.selection_set,
            definition.type_condition.name.value,
            (),
            removal,
        )
        self.filtered[name] = (result, removal)
        return result, removal

    def selection_set(
        self,
        node: SelectionSetNode,
        parent: str,
        path: Path,
        removal: Removal,
    ) -> SelectionSetNode | None:
        """`node` without what the caller may not select (the same node when
        nothing is removed); None when nothing is left."""
        kept: list[SelectionNode] = []
        changed = False
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                result: SelectionNode | None = self._field(
                    selection, parent, path, removal
                )
            elif isinstance(selection, InlineFragmentNode):
                result = self._inline_fragment(selection, parent, path, removal)
            elif isinstance(selection, FragmentSpreadNode):
                result = self._spread(selection, parent, path, removal)
            else:  # pragma: no cover - the three selection kinds of the spec
                result = selection
            if result is None:
                changed = True
            else:
                changed = changed or result is not selection
                kept.append(result)
        if not kept:
            return None
        if not changed:
            return node
        return SelectionSetNode(selections=tuple(kept), loc=node.loc)

    def _denied(self, coordinate: str, path: Path, removal: Removal) -> bool:
        """Record a denial; True when the selection goes (not in a dry run)."""
        removal.add(path)
        removal.coordinates.add(coordinate)
        return not self.dry_run

    def _field(
        self, node: FieldNode, parent: str, path: Path, removal: Removal
    ) -> FieldNode | None:
        name = node.name.value
        if name in _INTROSPECTION:
            return node
        rule = self.rules.fields.get(parent, {}).get(name)
        if rule is None:  # not in the schema: validation reports it, not us
            return node
        key = node.alias.value if node.alias else name
        here = (*path, key)
        denied = not self.allows(rule.requirement) or (
            rule.through_interface is not None
            and _selects_fields(node.selection_set)
            and not self.allows(rule.through_interface)
        )
        if denied and self._denied(f"{parent}.{name}", here, removal):
            return None
        if node.selection_set is None:
            return node
        inner = here + (LIST_ITEMS,) * rule.list_depth
        selection_set = self.selection_set(
            node.selection_set, rule.type_name, inner, removal
        )
        if selection_set is None:
            return None
        if selection_set is node.selection_set:
            return node
        return FieldNode(
            alias=node.alias,
            name=node.name,
            arguments=node.arguments,
            directives=node.directives,
            selection_set=selection_set,
            loc=node.loc,
        )

    def _type_condition(
        self, condition: str, parent: str, path: Path, removal: Removal
    ) -> tuple[Path, bool]:
        """The path inside a fragment on `condition`, and whether it goes.

        A condition on the enclosing type itself adds nothing: the field that led
        here (or the spread of the fragment) already met that type's requirement.
        """
        if condition == parent:
            return path, False
        here = (*path, _marker(condition))
        if self.allows(self.rules.types.get(condition)):
            return here, False
        return here, self._denied(condition, here, removal)

    def _inline_fragment(
        self, node: InlineFragmentNode, parent: str, path: Path, removal: Removal
    ) -> InlineFragmentNode | None:
        condition = node.type_condition.name.value if node.type_condition else parent
        here, goes = self._type_condition(condition, parent, path, removal)
        if goes:
            return None
        selection_set = self.selection_set(node.selection_set, condition, here, removal)
        if selection_set is None:
            return None
        if selection_set is node.selection_set:
            return node
        return InlineFragmentNode(
            type_condition=node.type_condition,
            directives=node.directives,
            selection_set=selection_set,
            loc=node.loc,
        )

    def _spread(
        self, node: FragmentSpreadNode, parent: str, path: Path, removal: Removal
    ) -> FragmentSpreadNode | None:
        name = node.name.value
        definition = self.fragments.get(name)
        if definition is None:  # validation reports unknown fragments
            return node
        condition = definition.type_condition.name.value
        here, goes = self._type_condition(condition, parent, path, removal)
        if goes:
            return None
        selection_set, inner = self.fragment(name)
        for relative in inner.paths:
            removal.add(here + relative)
        removal.coordinates |= inner.coordinates
        return None if selection_set is None else node


def _selects_fields(selection_set: SelectionSetNode | None) -> bool:
    """Whether a selection on an interface selects fields outside type conditions
    (then every implementation's type requirements apply, as in the router)."""
    if selection_set is None:
        return False
    return any(
        isinstance(s, FieldNode) and s.name.value != "__typename"
        for s in selection_set.selections
    )
