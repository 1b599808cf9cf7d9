"""compose(): subgraph SDLs in, supergraph SDL (or composition errors) out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from graphql import GraphQLError, build_ast_schema, parse

from .errors import CompositionError, CompositionHint
from .merge import merge
from .print_supergraph import print_supergraph
from .satisfiability import validate_satisfiability
from .subgraph import read_subgraph
from .validate_subgraph import validate_subgraph
from .validate_supergraph import validate_supergraph

if TYPE_CHECKING:
    from collections.abc import Sequence

    from graphql.language import DirectiveDefinitionNode

    from .subgraph import Subgraph, SubgraphDefinition

__all__ = ["CompositionResult", "compose"]


@dataclass(frozen=True, slots=True)
class CompositionResult:
    """What composition produced: a supergraph SDL, or the errors that prevented it."""

    supergraph_sdl: str | None
    errors: tuple[CompositionError, ...] = ()
    hints: tuple[CompositionHint, ...] = ()

    @property
    def ok(self) -> bool:
        return self.supergraph_sdl is not None


def compose(subgraphs: Sequence[SubgraphDefinition]) -> CompositionResult:
    """Compose subgraphs into a supergraph (Apollo Federation 2 rules).

    Reads each SDL (federation 1 subgraphs are upgraded as Apollo does), validates the
    field sets of @key/@requires/@provides, merges, then checks that every field of the
    supergraph can be reached from a root (satisfiability). Returns the supergraph SDL,
    or None with the errors; never raises for bad input.
    """
    if not subgraphs:
        return CompositionResult(
            None, (CompositionError("NO_SUBGRAPHS", "No subgraphs to compose"),)
        )
    errors: list[CompositionError] = []
    read: list[Subgraph] = []
    names = [s.name for s in subgraphs]
    for name in sorted({n for n in names if names.count(n) > 1}):
        errors.append(
            CompositionError(
                "INVALID_SUBGRAPH_NAME",
                f'A subgraph named "{name}" already exists',
                (name,),
            )
        )
    for definition in subgraphs:
        subgraph, subgraph_errors = read_subgraph(definition)
        errors += subgraph_errors
        if subgraph is not None:
            errors += validate_subgraph(subgraph)
            read.append(subgraph)
    if errors:
        return CompositionResult(None, tuple(errors))
    composed: dict[str, tuple[str | None, DirectiveDefinitionNode]] = {}
    for subgraph in sorted(read, key=lambda s: s.name):
        for name, entry in subgraph.composed_directives.items():
            composed.setdefault(name, entry)
    repeatable = frozenset(
        {"tag"} | {n for n, (_, d) in composed.items() if d.repeatable}
    )
    supergraph, merge_errors, hints = merge(read, repeatable)
    if merge_errors:
        return CompositionResult(None, tuple(merge_errors), tuple(hints))
    post_merge_errors = validate_supergraph(supergraph)
    if post_merge_errors:
        return CompositionResult(None, tuple(post_merge_errors), tuple(hints))
    satisfiability_errors = validate_satisfiability(supergraph)
    if satisfiability_errors:
        return CompositionResult(None, tuple(satisfiability_errors), tuple(hints))
    sdl = print_supergraph(supergraph, composed)
    try:
        build_ast_schema(parse(sdl))
    except (GraphQLError, TypeError) as error:
        # A supergraph we cannot build is our bug, reported as data rather than raised.
        invalid = CompositionError("INVALID_SUPERGRAPH", f"Invalid supergraph: {error}")
        return CompositionResult(None, (invalid,), tuple(hints))
    return CompositionResult(sdl, (), tuple(hints))
