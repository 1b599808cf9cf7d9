"""What the limits and the cost estimate share: each fragment computed once, the
fragments it spreads first, without recursing from one fragment into the next.

A document may chain thousands of fragments (`F1 { ...F0 }`, `F2 { ...F1 }`, ...) within
the token limit, so a fragment's figures are never computed by recursing into the
fragments it spreads: `resolve` computes a key, collects the keys it found missing,
computes those first, then computes the key again. Each key is computed at most twice,
so the work stays linear in the document whatever the spreads multiply to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from graphql import (
    BooleanValueNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from graphql import DirectiveNode, DocumentNode, SelectionSetNode

__all__ = [
    "SATURATION",
    "fragment_definitions",
    "literally_skipped",
    "resolve",
    "root_response_names",
]

# Figures saturate here (2**53 - 1, the largest integer a JSON client reads exactly):
# a spread doubled per fragment would otherwise reach 2**1000 within the token limit.
SATURATION = 9_007_199_254_740_991

K = TypeVar("K")
V = TypeVar("V")


def fragment_definitions(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    """The document's fragments by name (the first of a duplicated name wins)."""
    fragments: dict[str, FragmentDefinitionNode] = {}
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            fragments.setdefault(definition.name.value, definition)
    return fragments


def resolve(
    root: K,
    compute: Callable[[K], tuple[V, Iterable[K]]],
    memo: dict[K, V],
) -> V:
    """The value of `root`, computing the keys it depends on first.

    `compute(key)` returns the key's value, reading `memo` for the keys it depends on,
    and the keys it found missing there (it counts them as zero). A key that depends
    on one still waiting for its own dependencies is a cycle (an invalid document,
    NoFragmentCycles): that dependency counts as zero, as the Apollo Router does.
    """
    if root in memo:
        return memo[root]
    stack = [root]
    waiting: set[K] = set()
    while stack:
        key = stack[-1]
        if key in memo:
            stack.pop()
            continue
        value, missing = compute(key)
        pending = [m for m in missing if m not in memo and m not in waiting]
        if pending:
            waiting.add(key)
            stack.extend(pending)
            continue
        memo[key] = value
        waiting.discard(key)
        stack.pop()
    return memo[root]


def root_response_names(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
) -> list[str]:
    """The distinct response names (alias or field name) the selection set selects at
    its own level, through its inline fragments and fragment spreads, each fragment
    visited once (the spec's CollectFields `visitedFragments`)."""
    names: dict[str, None] = {}
    visited: set[str] = set()
    stack = [selection_set]
    while stack:
        current = stack.pop()
        for selection in current.selections:
            if isinstance(selection, FieldNode):
                name = (selection.alias or selection.name).value
                names[name] = None
            elif isinstance(selection, InlineFragmentNode):
                stack.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                spread = selection.name.value
                fragment = fragments.get(spread)
                if fragment is not None and spread not in visited:
                    visited.add(spread)
                    stack.append(fragment.selection_set)
    return list(names)


def literally_skipped(directives: tuple[DirectiveNode, ...] | None) -> bool:
    """Whether `@skip(if: true)` or `@include(if: false)` is written as a literal.

    A condition taken from a variable counts as included, as the Apollo Router counts
    it: the figure is then an upper bound that does not depend on the variables.
    """
    for directive in directives or ():
        name = directive.name.value
        if name != "skip" and name != "include":
            continue
        for argument in directive.arguments or ():
            value = argument.value
            if argument.name.value == "if" and isinstance(value, BooleanValueNode):
                if value.value is (name == "skip"):
                    return True
    return False
