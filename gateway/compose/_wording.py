"""How composition words things: subgraph lists, join directives, graph names.

The phrasing follows the reference composer's messages so that users (and the fixture
comparison) see the same sentences.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from graphql import StringValueNode, print_ast

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from .subgraph import Subgraph

__all__ = [
    "Raw",
    "cache_tag_directive",
    "did_you_mean",
    "graph_enum_names",
    "group_by_value",
    "join_directive",
    "most_common",
    "quoted_list",
    "subgraph_names",
]

_Value = TypeVar("_Value", bound=Hashable)


def graph_enum_names(names: list[str]) -> dict[str, str]:
    """Subgraph name -> join__Graph value: upper case, non-word characters as `_`."""
    result: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        value = re.sub(r"\W", "_", name).upper()
        if value[:1].isdigit():
            value = "_" + value
        candidate, suffix = value, 1
        while candidate in taken:
            candidate, suffix = f"{value}_{suffix}", suffix + 1
        taken.add(candidate)
        result[name] = candidate
    return result


def quoted_list(names: list[str]) -> str:
    quoted = [f'"{n}"' for n in names]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def subgraph_names(names: list[str]) -> str:
    """`subgraph "a"` or `subgraphs "a", "b" and "c"`, as Apollo's messages say it."""
    noun = "subgraph" if len(names) == 1 else "subgraphs"
    return f"{noun} {quoted_list(names)}"


def cache_tag_directive(graph: Raw, tag_format: str) -> str:
    """A subgraph's @cacheTag as the supergraph carries it (a hint for response
    caches, read by routers through `join__directive`)."""
    value = print_ast(StringValueNode(value=tag_format))
    return (
        f'@join__directive(graphs: [{graph.text}], name: "federation__cacheTag",'
        f" args: {{format: {value}}})"
    )


def join_directive(name: str, **arguments: object) -> str:
    """`@join__field(graph: A, external: true)`: None and False arguments left out."""
    parts = []
    for key, value in arguments.items():
        if value is None or value is False:
            continue
        if value is True:
            parts.append(f"{key}: true")
        elif isinstance(value, Raw):
            parts.append(f"{key}: {value.text}")
        else:
            escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
            parts.append(f'{key}: "{escaped}"')
    return f"@{name}({', '.join(parts)})" if parts else f"@{name}"


@dataclass(frozen=True, slots=True)
class Raw:
    """An argument value printed as is (an enum value, a boolean), not quoted."""

    text: str


def most_common(descriptions: Iterable[str | None]) -> str | None:
    """The description most subgraphs agree on (first of equals), as Apollo picks."""
    counts = Counter(d for d in descriptions if d)
    return max(counts, key=counts.__getitem__) if counts else None


def group_by_value(
    sources: Sequence[tuple[Subgraph, _Value]],
) -> list[tuple[_Value, list[str]]]:
    """(value, subgraph names) in order of first appearance."""
    groups: dict[_Value, list[str]] = {}
    for subgraph, value in sources:
        groups.setdefault(value, []).append(subgraph.name)
    return list(groups.items())


def _levenshtein(left: str, right: str) -> int:
    previous = list(range(len(right) + 1))
    for i, a in enumerate(left, 1):
        current = [i]
        for j, b in enumerate(right, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b))
            )
        previous = current
    return previous[-1]


def did_you_mean(value: str, options: list[str]) -> str:
    """` Did you mean "a" or "b"?` for the options close to `value` (or nothing).

    Apollo's suggestionList: Levenshtein distance within 40% of the input's length
    (case-insensitive equality counts as 1), closest first, then alphabetical.
    """
    threshold = len(value) * 4 // 10 + 1
    distances = {
        option: 1 if value.lower() == option.lower() else _levenshtein(value, option)
        for option in options
    }
    close = sorted(
        (o for o, d in distances.items() if d <= threshold),
        key=lambda o: (distances[o], o),
    )
    quoted = [f'"{o}"' for o in close[:5]]
    if not quoted:
        return ""
    if len(quoted) <= 2:
        return f" Did you mean {' or '.join(quoted)}?"
    return f" Did you mean {', '.join(quoted[:-1])}, or {quoted[-1]}?"
