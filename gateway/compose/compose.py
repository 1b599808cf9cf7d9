"""compose(): subgraph SDLs in, supergraph SDL (or composition errors) out."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeVar

from graphql import GraphQLError, build_ast_schema, parse

from .codes import ErrorCode
from .errors import CompositionError, CompositionHint
from .merge_subgraphs import merge_subgraphs
from .print_supergraph import print_supergraph
from .satisfiability import validate_satisfiability
from .subgraph import read_subgraph
from .validate_subgraph import validate_subgraph
from .validate_supergraph import validate_supergraph

if TYPE_CHECKING:
    from collections.abc import Sequence

    from graphql.language import DirectiveDefinitionNode, Node

    from .subgraph import Subgraph, SubgraphDefinition

__all__ = ["CompositionResult", "compose"]

_Report = TypeVar("_Report", CompositionError, CompositionHint)


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
    or None with the errors; never raises for bad input. Each error and hint carries
    the subgraph definitions it names (`nodes`, hence `locations`).
    """
    read: list[Subgraph] = []
    result = _compose(subgraphs, read)
    return CompositionResult(
        result.supergraph_sdl,
        tuple(_located(error, read) for error in result.errors),
        tuple(_located(hint, read) for hint in result.hints),
    )


def _located(report: _Report, subgraphs: list[Subgraph]) -> _Report:
    """The report with the AST nodes of the type or field it names, in the subgraphs
    it names (all when it names none), unless it carries nodes already."""
    if report.nodes or report.type_name is None:
        return report
    nodes: list[Node] = []
    for subgraph in subgraphs:
        if report.subgraphs and subgraph.name not in report.subgraphs:
            continue
        definition = subgraph.types.get(report.type_name)
        if definition is None:
            continue
        if report.field_name is None:
            nodes += definition.nodes
            continue
        field = definition.fields.get(report.field_name)
        if field is not None and field.node is not None:
            nodes.append(field.node)
    return replace(report, nodes=tuple(nodes))


def _compose(
    subgraphs: Sequence[SubgraphDefinition], read: list[Subgraph]
) -> CompositionResult:
    """`compose` without locations; appends each subgraph it reads to `read`."""
    if not subgraphs:
        return CompositionResult(
            None, (CompositionError(ErrorCode.NO_SUBGRAPHS, "No subgraphs to compose"),)
        )
    errors: list[CompositionError] = []
    names = [s.name for s in subgraphs]
    for name in sorted({n for n in names if names.count(n) > 1}):
        errors.append(
            CompositionError(
                ErrorCode.INVALID_SUBGRAPH_NAME,
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
    supergraph, merge_errors, hints = merge_subgraphs(read, repeatable)
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
        invalid = CompositionError(
            ErrorCode.INVALID_SUPERGRAPH, f"Invalid supergraph: {error}"
        )
        return CompositionResult(None, (invalid,), tuple(hints))
    return CompositionResult(sdl, (), tuple(hints))
