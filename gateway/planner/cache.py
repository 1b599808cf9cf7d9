"""QueryPlanCache: parse, validate and plan a document once, then reuse the result.

Parsing and validation are cached by document hash; plans by (document hash,
operation name, enabled override labels), since progressive override can change the
plan per request. Results, including request errors, are immutable values shared by
every request; errors are returned as data (`GraphQLError`s with `extensions.code`,
Apollo's codes), never raised.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from graphql import GraphQLError, get_operation_ast, parse, validate

from ..errors import PlanningError
from .errors import PlanningBudgetExceeded
from .plan_operation import plan_operation

if TYPE_CHECKING:
    from graphql import DocumentNode

    from ..supergraph import Supergraph
    from .budget import PlanningBudget
    from .plan import QueryPlan

__all__ = ["PreparedOperation", "QueryPlanCache", "document_hash"]

_K = TypeVar("_K")
_V = TypeVar("_V")


def document_hash(query: str) -> str:
    """The cache key of a document: SHA-256 of its text (as APQ uses)."""
    return hashlib.sha256(query.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class PreparedOperation:
    """A document ready to execute: its AST and plan, or the errors that stop it."""

    document: DocumentNode | None
    operation_name: str | None
    operation_kind: str | None
    plan: QueryPlan | None
    errors: tuple[GraphQLError, ...] = ()


@dataclass(frozen=True, slots=True)
class _Checked:
    document: DocumentNode | None
    errors: tuple[GraphQLError, ...]


class _LRU(Generic[_K, _V]):
    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self.items: OrderedDict[_K, _V] = OrderedDict()

    def get(self, key: _K) -> _V | None:
        value = self.items.get(key)
        if value is not None:
            self.items.move_to_end(key)
        return value

    def put(self, key: _K, value: _V) -> None:
        self.items[key] = value
        self.items.move_to_end(key)
        while len(self.items) > self.maxsize:
            self.items.popitem(last=False)


class QueryPlanCache:
    """Per-supergraph cache of parsed, validated and planned operations."""

    def __init__(
        self,
        supergraph: Supergraph,
        maxsize: int = 1024,
        budget: PlanningBudget | None = None,
    ) -> None:
        self.supergraph = supergraph
        self.budget = budget
        self._documents: _LRU[str, _Checked] = _LRU(maxsize)
        self._plans: _LRU[tuple[str, str | None, frozenset[str]], PreparedOperation] = (
            _LRU(maxsize)
        )
        self.plans_built = 0  # how many times the planner actually ran

    def prepare(
        self,
        query: str,
        operation_name: str | None = None,
        override_labels: frozenset[str] = frozenset(),
    ) -> PreparedOperation:
        """The prepared operation for `query`: cached after the first call."""
        key = document_hash(query)
        plan_key = (key, operation_name, override_labels)
        cached = self._plans.get(plan_key)
        if cached is not None:
            return cached
        checked = self._documents.get(key)
        if checked is None:
            checked = self._check(query)
            self._documents.put(key, checked)
        prepared = self._plan(checked, operation_name, override_labels)
        self._plans.put(plan_key, prepared)
        return prepared

    def _check(self, query: str) -> _Checked:
        try:
            document = parse(query)
        except GraphQLError as error:
            return _Checked(None, (_with_code(error, "GRAPHQL_PARSE_FAILED"),))
        errors = validate(self.supergraph.api_schema, document)
        if errors:
            coded = tuple(_with_code(e, "GRAPHQL_VALIDATION_FAILED") for e in errors)
            return _Checked(None, coded)
        return _Checked(document, ())

    def _plan(
        self,
        checked: _Checked,
        operation_name: str | None,
        override_labels: frozenset[str],
    ) -> PreparedOperation:
        document = checked.document
        if document is None:
            return PreparedOperation(None, operation_name, None, None, checked.errors)
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            message = (
                f"Unknown operation named '{operation_name}'."
                if operation_name
                else "Must provide operation name if the document has several."
            )
            error = GraphQLError(
                message, extensions={"code": "OPERATION_RESOLUTION_FAILURE"}
            )
            return PreparedOperation(document, operation_name, None, None, (error,))
        kind = operation.operation.value
        try:
            plan = plan_operation(
                self.supergraph,
                document,
                operation_name,
                override_labels=override_labels,
                budget=self.budget,
            )
        except PlanningBudgetExceeded as error:
            failure = GraphQLError(
                error.message,
                extensions={
                    "code": error.code,
                    "exceeded": str(error.exceeded),
                    "limit": error.limit,
                    "measured": error.measured,
                },
            )
            return PreparedOperation(document, operation_name, kind, None, (failure,))
        except PlanningError as error:
            failure = GraphQLError(error.message, extensions={"code": error.code})
            return PreparedOperation(document, operation_name, kind, None, (failure,))
        self.plans_built += 1
        return PreparedOperation(document, operation_name, kind, plan)


def _with_code(error: GraphQLError, code: str) -> GraphQLError:
    return GraphQLError(
        error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        extensions={**(error.extensions or {}), "code": code},
    )
