"""How composition words things: subgraph lists, join directives, graph names.

The phrasing follows the reference composer's messages so that users (and the fixture
comparison) see the same sentences.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .subgraph import Subgraph

__all__ = [
    "Raw",
    "graph_enum_names",
    "group_by_value",
    "join_directive",
    "most_common",
    "quoted_list",
    "subgraph_names",
]


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
    sources: list[tuple[Subgraph, str]] | list[tuple[Subgraph, str | None]],
) -> list[tuple[str, list[str]]]:
    """(value, subgraph names) in order of first appearance."""
    groups: dict[str, list[str]] = {}
    for subgraph, value in sources:
        groups.setdefault(str(value), []).append(subgraph.name)
    return list(groups.items())
