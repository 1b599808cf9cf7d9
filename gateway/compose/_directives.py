"""Merge the directives a supergraph keeps: @tag, @inaccessible, auth, cost, composed.

Each merges by its spec's composition strategy: @tag is a union, @requiresScopes and
@policy a conjunction in disjunctive normal form, @cost the maximum weight; any other
non-repeatable directive keeps the first application.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from graphql import print_ast
from graphql.language import (
    ArgumentNode,
    DirectiveNode,
    IntValueNode,
    ListValueNode,
    NameNode,
    StringValueNode,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["dnf_conjunction", "merge_directives"]

_DNF_ARGUMENT = {"requiresScopes": "scopes", "policy": "policies"}


def dnf_conjunction(values: list[list[list[str]]]) -> list[list[str]]:
    """AND of several OR-of-AND lists, in disjunctive normal form (Apollo's way)."""
    normalized: list[list[list[str]]] = []
    seen: set[str] = set()
    for value in values:
        copy = sorted((sorted(inner) for inner in value or [[]]), key=json.dumps)
        key = json.dumps(copy)
        if key not in seen:
            seen.add(key)
            normalized.append(copy)
    result = normalized[0]
    for current in normalized[1:]:
        accumulator: list[list[str]] = []
        keys: set[str] = set()
        for left in result:
            for right in current:
                candidate = sorted([*left, *(e for e in right if e not in left)])
                key = json.dumps(candidate)
                if key not in keys:
                    keys.add(key)
                    accumulator.append(candidate)
        accumulator.sort(key=len)
        result = []
        for candidate in accumulator:
            if not any(set(kept) <= set(candidate) for kept in result):
                result.append(candidate)
    return result


def _dnf_value(directive: DirectiveNode) -> list[list[str]]:
    outer = directive.arguments[0].value if directive.arguments else None
    return [
        [getattr(leaf, "value", "") for leaf in getattr(inner, "values", ())]
        for inner in getattr(outer, "values", ())
    ]


def _dnf_directive(name: str, value: list[list[str]]) -> DirectiveNode:
    return DirectiveNode(
        name=NameNode(value=name),
        arguments=(
            ArgumentNode(
                name=NameNode(value=_DNF_ARGUMENT[name]),
                value=ListValueNode(
                    values=tuple(
                        ListValueNode(
                            values=tuple(StringValueNode(value=s) for s in inner)
                        )
                        for inner in value
                    )
                ),
            ),
        ),
    )


def merge_directives(
    applications: Iterable[DirectiveNode], repeatable: frozenset[str]
) -> list[DirectiveNode]:
    """Merge the kept directives found on one element across subgraphs."""
    by_name: dict[str, list[DirectiveNode]] = {}
    for directive in applications:
        by_name.setdefault(directive.name.value, []).append(directive)
    merged: list[DirectiveNode] = []
    for name, found in by_name.items():
        if name in _DNF_ARGUMENT and len(found) > 1:
            value = dnf_conjunction([_dnf_value(d) for d in found])
            merged.append(_dnf_directive(name, value))
        elif name == "cost" and len(found) > 1:
            merged.append(max(found, key=_cost_weight))
        elif name in repeatable:
            printed: set[str] = set()
            for directive in found:
                text = print_ast(directive)
                if text not in printed:
                    printed.add(text)
                    merged.append(directive)
        else:
            merged.append(found[0])
    return merged


def _cost_weight(directive: DirectiveNode) -> int:
    for argument in directive.arguments or ():
        if isinstance(argument.value, IntValueNode):
            return int(argument.value.value)
    return 0
