"""Operation limits: the shape of an operation measured and checked before planning.

The measures follow the Apollo Router's operation limits (`spec/operation_limits.rs`):
fragments count as if inlined, each fragment measured once, so a document whose spreads
double per fragment measures in time linear in its text. The refusals use the router's
codes and messages (MAX_DEPTH_LIMIT, ...), with the limit and the measured value in
`extensions`; MAX_DIRECTIVES_LIMIT and MAX_TOKENS_LIMIT are ours (the router has no
directive limit and reports its token limit as a parse error).

A request runs them in this order: `parse_with_limit(query, max_tokens)` (None in
MEASURE mode, so the figure can still be reported), validation, `measure_operation`
(a function of the document alone: cache it with the parsed document),
`estimate_cost` from `gateway.policy.cost` (cacheable per operation unless
`CostModel.depends_on_variables`), then `check_limits`, whose errors refuse the
request before planning.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSyntaxError,
    InlineFragmentNode,
    parse,
)

from ._walk import SATURATION, fragment_definitions, resolve, root_response_names

if TYPE_CHECKING:
    from collections.abc import Iterable

    from graphql import (
        DocumentNode,
        FragmentDefinitionNode,
        OperationDefinitionNode,
        SelectionSetNode,
        Source,
    )

__all__ = [
    "COST_ESTIMATED_TOO_EXPENSIVE",
    "DEVELOPMENT_LIMITS",
    "GRAPHQL_PARSE_FAILED",
    "MAX_ALIASES_LIMIT",
    "MAX_DEPTH_LIMIT",
    "MAX_DIRECTIVES_LIMIT",
    "MAX_HEIGHT_LIMIT",
    "MAX_ROOT_FIELDS_LIMIT",
    "MAX_TOKENS_LIMIT",
    "PRODUCTION_LIMITS",
    "LimitsMode",
    "LimitsVerdict",
    "OperationLimits",
    "OperationMeasures",
    "check_limits",
    "measure_operation",
    "parse_with_limit",
]

MAX_DEPTH_LIMIT = "MAX_DEPTH_LIMIT"
MAX_HEIGHT_LIMIT = "MAX_HEIGHT_LIMIT"
MAX_ALIASES_LIMIT = "MAX_ALIASES_LIMIT"
MAX_ROOT_FIELDS_LIMIT = "MAX_ROOT_FIELDS_LIMIT"
MAX_DIRECTIVES_LIMIT = "MAX_DIRECTIVES_LIMIT"
MAX_TOKENS_LIMIT = "MAX_TOKENS_LIMIT"
COST_ESTIMATED_TOO_EXPENSIVE = "COST_ESTIMATED_TOO_EXPENSIVE"
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"


class LimitsMode(enum.Enum):
    """ENFORCE refuses an operation over a limit; MEASURE only reports the figures
    (the router's `warn_only` and demand control `measure`)."""

    ENFORCE = "enforce"
    MEASURE = "measure"


@dataclass(frozen=True, slots=True, kw_only=True)
class OperationLimits:
    """The most an operation may measure; None is unlimited."""

    max_depth: int | None = None
    max_aliases: int | None = None
    max_root_fields: int | None = None
    max_directives: int | None = None
    max_tokens: int | None = None
    max_cost: int | None = None
    # Distinct fields per selection set, summed (the router's max_height).
    max_height: int | None = None
    mode: LimitsMode = LimitsMode.ENFORCE


# Loose enough for GraphiQL and tests, tight enough that the floods are refused.
DEVELOPMENT_LIMITS = OperationLimits(
    max_depth=15,
    max_aliases=100,
    max_root_fields=50,
    max_directives=100,
    max_tokens=20_000,
    max_cost=50_000,
    max_height=1_000,
)
# The README's operations and the bench operations measure far below these. Tokens:
# the Apollo Router allows 15,000, but parsing and validating them in Python holds
# the event loop ~0.3 s (a new comment makes every text new); 5,000 keeps a cold
# document near 0.1 s and is still fifty times the largest README operation.
PRODUCTION_LIMITS = OperationLimits(
    max_depth=12,
    max_aliases=30,
    max_root_fields=20,
    max_directives=50,
    max_tokens=5_000,
    max_cost=10_000,
    max_height=200,
)


@dataclass(frozen=True, slots=True)
class OperationMeasures:
    """What one operation of a document measures, fragments counted as inlined.

    depth: deepest field nesting, a root field is 1 (inline fragments and spreads
        add no level). height: distinct response names per selection set, summed.
    aliases: aliased fields. root_fields: distinct response names at the root.
    directives: directive applications (operation, variables, selections, and each
        spread fragment's own). tokens: the whole document's tokens, comments
        included, as the parser counted them for `max_tokens` (0 for a document
        not made by `parse`). fragment_spreads: spreads, as inlined.
    """

    depth: int
    height: int
    aliases: int
    root_fields: int
    directives: int
    tokens: int
    fragment_spreads: int


def parse_with_limit(
    source: str | Source, max_tokens: int | None
) -> DocumentNode | GraphQLError:
    """Parse `source`, aborting as soon as it has more than `max_tokens` tokens.

    Tokens are counted as graphql-core's `max_tokens` counts them: every lexical token
    and every comment (whitespace and commas are not tokens). Returns the document, or
    a GraphQLError: MAX_TOKENS_LIMIT with `limit` in extensions (the count stops at the
    limit, so there is no `measured`), or GRAPHQL_PARSE_FAILED for a syntax error.
    """
    try:
        return parse(source, max_tokens=max_tokens)
    except GraphQLSyntaxError as error:
        if max_tokens is not None and error.message.endswith(
            f"Document contains more than {max_tokens} tokens. Parsing aborted."
        ):
            return GraphQLError(
                "Maximum tokens limit exceeded in this operation",
                source=error.source,
                positions=error.positions,
                extensions={"code": MAX_TOKENS_LIMIT, "limit": max_tokens},
            )
        return GraphQLError(
            error.message,
            source=error.source,
            positions=error.positions,
            extensions={"code": GRAPHQL_PARSE_FAILED},
        )


# depth, height, aliases, directives, spreads of one selection set or fragment.
_Figures = tuple[int, int, int, int, int]
_ZERO: _Figures = (0, 0, 0, 0, 0)


def measure_operation(
    document: DocumentNode, operation: OperationDefinitionNode
) -> OperationMeasures:
    """Measure `operation` of the (validated) `document`; linear in the document.

    A fragment is measured once however often it is spread; an unknown or cyclic
    fragment (invalid documents) counts as empty.
    """
    fragments = fragment_definitions(document)
    measure = _Measure(operation.selection_set, fragments)
    figures = resolve(None, measure.compute, measure.memo)
    depth, height, aliases, directives, spreads = figures
    for definition in operation.variable_definitions or ():
        directives += len(definition.directives or ())
    return OperationMeasures(
        depth=depth,
        height=height,
        aliases=aliases,
        root_fields=len(root_response_names(operation.selection_set, fragments)),
        directives=min(directives + len(operation.directives or ()), SATURATION),
        tokens=document.token_count,
        fragment_spreads=spreads,
    )


class _Measure:
    """The figures of the operation (key None) and of each fragment (its name)."""

    def __init__(
        self,
        operation: SelectionSetNode,
        fragments: dict[str, FragmentDefinitionNode],
    ) -> None:
        self.operation = operation
        self.fragments = fragments
        self.memo: dict[str | None, _Figures] = {}
        self.missing: list[str | None] = []

    def compute(self, key: str | None) -> tuple[_Figures, Iterable[str | None]]:
        self.missing = []
        if key is None:
            selection_set, directives = self.operation, 0
        else:
            fragment = self.fragments[key]
            selection_set = fragment.selection_set
            directives = len(fragment.directives or ())
        depth, height, aliases, inner, spreads = self.selection_set(selection_set)
        # Sums within one selection set stay small; saturate what is memoised.
        figures = (
            depth,
            min(height, SATURATION),
            min(aliases, SATURATION),
            min(directives + inner, SATURATION),
            min(spreads, SATURATION),
        )
        return figures, self.missing

    def selection_set(self, selection_set: SelectionSetNode) -> _Figures:
        depth = height = aliases = directives = spreads = 0
        seen: set[str] = set()
        for selection in selection_set.selections:
            if selection.directives:
                directives += len(selection.directives)
            if isinstance(selection, FieldNode):
                if selection.selection_set is None:
                    d = 1
                else:
                    d, h, a, n, s = self.selection_set(selection.selection_set)
                    d += 1
                    height += h
                    aliases += a
                    directives += n
                    spreads += s
                if d > depth:
                    depth = d
                if selection.alias is None:
                    name = selection.name.value
                else:
                    aliases += 1
                    name = selection.alias.value
                if name not in seen:
                    seen.add(name)
                    height += 1
                continue
            if isinstance(selection, InlineFragmentNode):
                d, h, a, n, s = self.selection_set(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                spreads += 1
                d, h, a, n, s = self._spread(selection.name.value)
            else:  # pragma: no cover - the three selection kinds of the spec
                continue
            if d > depth:
                depth = d
            height += h
            aliases += a
            directives += n
            spreads += s
        return depth, height, aliases, directives, spreads

    def _spread(self, name: str) -> _Figures:
        figures = self.memo.get(name)
        if figures is not None:
            return figures
        if name in self.fragments:
            self.missing.append(name)
        return _ZERO


@dataclass(frozen=True, slots=True)
class LimitsVerdict:
    """The outcome of `check_limits`.

    `errors` are the GraphQL errors to refuse the operation with, one per exceeded
    limit (empty in MEASURE mode); `exceeded` names the codes of the exceeded limits
    in both modes; `measures` and `cost` are the figures to report.
    """

    errors: tuple[GraphQLError, ...]
    exceeded: tuple[str, ...]
    measures: OperationMeasures
    cost: int | None

    @property
    def refused(self) -> bool:
        return bool(self.errors)

    def figures(self) -> dict[str, int]:
        """The measured figures by name, for logs, metrics or response extensions."""
        m = self.measures
        figures = {
            "depth": m.depth,
            "height": m.height,
            "aliases": m.aliases,
            "root_fields": m.root_fields,
            "directives": m.directives,
            "tokens": m.tokens,
        }
        if self.cost is not None:
            figures["cost"] = self.cost
        return figures


# (code, message, limits attribute, measures attribute) in the order errors are listed.
_CHECKS = (
    (
        MAX_DEPTH_LIMIT,
        "Maximum depth limit exceeded in this operation",
        "max_depth",
        "depth",
    ),
    (
        MAX_HEIGHT_LIMIT,
        "Maximum height (field count) limit exceeded in this operation",
        "max_height",
        "height",
    ),
    (
        MAX_ALIASES_LIMIT,
        "Maximum aliases limit exceeded in this operation",
        "max_aliases",
        "aliases",
    ),
    (
        MAX_ROOT_FIELDS_LIMIT,
        "Maximum root fields limit exceeded in this operation",
        "max_root_fields",
        "root_fields",
    ),
    (
        MAX_DIRECTIVES_LIMIT,
        "Maximum directives limit exceeded in this operation",
        "max_directives",
        "directives",
    ),
    (
        MAX_TOKENS_LIMIT,
        "Maximum tokens limit exceeded in this operation",
        "max_tokens",
        "tokens",
    ),
)


def check_limits(
    measures: OperationMeasures, cost: int | None, limits: OperationLimits
) -> LimitsVerdict:
    """Compare the figures with `limits`: a figure over its limit (not at it) exceeds.

    Each exceeded limit gives one GraphQLError with `extensions` {code, limit,
    measured} (the cost error also carries the router's `cost.estimated` and
    `cost.max`). `cost` None means it was not estimated and is not checked.
    """
    exceeded: list[str] = []
    errors: list[GraphQLError] = []
    for code, message, limit_name, measure_name in _CHECKS:
        limit = getattr(limits, limit_name)
        measured = getattr(measures, measure_name)
        if limit is not None and measured > limit:
            exceeded.append(code)
            extensions = {"code": code, "limit": limit, "measured": measured}
            errors.append(GraphQLError(message, extensions=extensions))
    max_cost = limits.max_cost
    if max_cost is not None and cost is not None and cost > max_cost:
        exceeded.append(COST_ESTIMATED_TOO_EXPENSIVE)
        errors.append(
            GraphQLError(
                f"query estimated cost {cost} exceeded configured maximum {max_cost}",
                extensions={
                    "code": COST_ESTIMATED_TOO_EXPENSIVE,
                    "limit": max_cost,
                    "measured": cost,
                    "cost.estimated": cost,
                    "cost.max": max_cost,
                },
            )
        )
    if limits.mode is LimitsMode.MEASURE:
        errors = []
    return LimitsVerdict(
        errors=tuple(errors),
        exceeded=tuple(exceeded),
        measures=measures,
        cost=cost,
    )
