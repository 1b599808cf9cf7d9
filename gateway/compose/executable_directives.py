"""Executable directives (`directive @lowercase on FIELD`) in the supergraph.

As the reference composer does (mergeExecutableDirectiveDefinition): a directive that
operations may use is kept only when every subgraph defines it, with the locations all
subgraphs share, repeatable only if repeatable everywhere; its arguments merge like a
field's. Anything dropped or narrowed is reported as a hint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from ._wording import group_by_value, subgraph_names
from .codes import HintCode
from .errors import CompositionHint
from .model import MergedArgument, MergedDirective

if TYPE_CHECKING:
    from .subgraph import ExecutableDirective, Subgraph

__all__ = ["merge_executable_directives"]


class _ArgumentMerger(Protocol):
    def __call__(
        self,
        coordinate: str,
        sources: list[tuple[Subgraph, ExecutableDirective]],
        type_name: str,
        field_name: str | None,
    ) -> dict[str, MergedArgument]: ...


def _locations(locations: list[str]) -> str:
    noun = "location" if len(locations) == 1 else "locations"
    return f'{noun} "{", ".join(sorted(locations))}"'


def merge_executable_directives(
    subgraphs: list[Subgraph], merge_arguments: _ArgumentMerger
) -> tuple[list[MergedDirective], list[CompositionHint]]:
    """The executable directives of the supergraph, and the hints about the others."""
    names: list[str] = []
    for subgraph in subgraphs:
        names.extend(n for n in subgraph.executable_directives if n not in names)
    merged: list[MergedDirective] = []
    hints: list[CompositionHint] = []
    for name in names:
        having = [s for s in subgraphs if name in s.executable_directives]
        missing = [s.name for s in subgraphs if name not in s.executable_directives]
        if missing:
            hints.append(
                CompositionHint(
                    HintCode.INCONSISTENT_EXECUTABLE_DIRECTIVE_PRESENCE,
                    f'Executable directive "@{name}" will not be part of the supergraph'
                    " as it does not appear in all subgraphs: it is defined in"
                    f" {subgraph_names([s.name for s in having])} but not in"
                    f" {subgraph_names(missing)}.",
                    tuple(s.name for s in subgraphs),
                )
            )
            continue
        sources = [(s, s.executable_directives[name]) for s in having]
        locations = list(sources[0][1].locations)
        for _, definition in sources[1:]:
            locations = [loc for loc in locations if loc in definition.locations]
        by_locations = group_by_value(
            [(s, _locations(d.locations)) for s, d in sources]
        )
        if not locations:
            described = " and ".join(
                f"{loc} in {subgraph_names(n)}" for loc, n in by_locations
            )
            hints.append(
                CompositionHint(
                    HintCode.NO_EXECUTABLE_DIRECTIVE_INTERSECTION,
                    f'Executable directive "@{name}" has no location that is common to'
                    " all subgraphs: it will not appear in the supergraph as there no"
                    f" intersection between {described}.",
                    tuple(s.name for s in having),
                )
            )
            continue
        repeatable = all(d.repeatable for _, d in sources)
        if len({d.repeatable for _, d in sources}) > 1:
            never = [s.name for s, d in sources if not d.repeatable]
            always = [s.name for s, d in sources if d.repeatable]
            hints.append(
                CompositionHint(
                    HintCode.INCONSISTENT_EXECUTABLE_DIRECTIVE_REPEATABLE,
                    f'Executable directive "@{name}" will not be marked repeatable in'
                    " the supergraph as it is inconsistently marked repeatable in"
                    f" subgraphs: it is not repeatable in {subgraph_names(never)} but"
                    f" is repeatable in {subgraph_names(always)}.",
                    tuple(s.name for s in having),
                )
            )
        if len(by_locations) > 1:
            chosen = _locations(locations)
            like = next((n for loc, n in by_locations if loc == chosen), None)
            others = [(loc, n) for loc, n in by_locations if loc != chosen]
            first = f"{chosen} in {subgraph_names(like)} and " if like else ""
            hints.append(
                CompositionHint(
                    HintCode.INCONSISTENT_EXECUTABLE_DIRECTIVE_LOCATIONS,
                    f'Executable directive "@{name}" has inconsistent locations across'
                    f" subgraphs and will use {chosen} (intersection of all subgraphs)"
                    f" in the supergraph, but has: {first}"
                    + " and ".join(f"{loc} in {subgraph_names(n)}" for loc, n in others)
                    + ".",
                    tuple(s.name for s in having),
                )
            )
        merged.append(
            MergedDirective(
                name=name,
                description=next(
                    (d.description for _, d in sources if d.description), None
                ),
                arguments=merge_arguments(f"@{name}", sources, f"@{name}", None),
                repeatable=repeatable,
                locations=locations,
            )
        )
    return merged, hints
