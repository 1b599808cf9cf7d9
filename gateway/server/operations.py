"""Operations prepared once: parsed, validated, planned and compiled for projection.

Cached by (SHA-256 of the document, operation name, enabled override labels), so a
repeated document costs one dict lookup before execution.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from graphql import (
    GraphQLError,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    get_operation_ast,
    parse,
    validate,
)

from ..errors import AgoraError
from ..execution import Projection

if TYPE_CHECKING:
    import random

    from graphql import DocumentNode

    from ..planner import QueryPlan
    from ..supergraph import Supergraph

__all__ = [
    "OperationCache",
    "PlanOperation",
    "PreparedOperation",
    "RequestRejected",
    "draw_override_labels",
    "override_labels_of",
]

GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
OPERATION_RESOLUTION_FAILURE = "OPERATION_RESOLUTION_FAILURE"


class PlanOperation(Protocol):
    def __call__(
        self,
        supergraph: Supergraph,
        document: DocumentNode,
        operation_name: str | None,
        *,
        override_labels: frozenset[str] = ...,
    ) -> QueryPlan: ...


@dataclass(frozen=True, slots=True)
class PreparedOperation:
    """A valid operation with its plan; `planning_error` set if it could not be
    planned (answered as an error, not cached as a crash)."""

    document: DocumentNode
    operation: OperationDefinitionNode
    projection: Projection
    plan: QueryPlan | None
    planning_error: AgoraError | None = None

    @property
    def kind(self) -> str:
        return self.operation.operation.value


@dataclass(frozen=True, slots=True)
class RequestRejected:
    """The document cannot run: parse or validation errors, or no such operation."""

    errors: tuple[GraphQLError, ...]


class OperationCache:
    """Prepare operations for one supergraph, keeping the most recent `size`."""

    def __init__(
        self, supergraph: Supergraph, plan_operation: PlanOperation, size: int = 1024
    ) -> None:
        self.supergraph = supergraph
        self.plan_operation = plan_operation
        self.size = size
        self._entries: OrderedDict[
            tuple[bytes, str | None, frozenset[str]],
            PreparedOperation | RequestRejected,
        ] = OrderedDict()

    def prepare(
        self,
        query: str,
        operation_name: str | None,
        override_labels: frozenset[str] = frozenset(),
    ) -> PreparedOperation | RequestRejected:
        key = (
            hashlib.sha256(query.encode()).digest(),
            operation_name,
            override_labels,
        )
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            return entry
        entry = self._prepare(query, operation_name, override_labels)
        self._entries[key] = entry
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return entry

    def _prepare(
        self, query: str, operation_name: str | None, override_labels: frozenset[str]
    ) -> PreparedOperation | RequestRejected:
        try:
            document = parse(query)
        except GraphQLSyntaxError as error:
            return RequestRejected((_with_code(error, GRAPHQL_PARSE_FAILED),))
        api_schema = self.supergraph.api_schema
        errors = validate(api_schema, document)
        if errors:
            return RequestRejected(
                tuple(_with_code(e, GRAPHQL_VALIDATION_FAILED) for e in errors)
            )
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            message = (
                f"Unknown operation named '{operation_name}'."
                if operation_name
                else "Must provide operation name if query contains multiple "
                "operations."
            )
            return RequestRejected(
                (
                    GraphQLError(
                        message, extensions={"code": OPERATION_RESOLUTION_FAILURE}
                    ),
                )
            )
        projection = Projection(api_schema, document, operation)
        try:
            plan = self.plan_operation(
                self.supergraph,
                document,
                operation_name,
                override_labels=override_labels,
            )
        except AgoraError as error:
            return PreparedOperation(document, operation, projection, None, error)
        return PreparedOperation(document, operation, projection, plan)


def override_labels_of(supergraph: Supergraph) -> frozenset[str]:
    """Every progressive-override label (`@join__field(overrideLabel:)`)."""
    return frozenset(
        source.override_label
        for join_type in supergraph.types.values()
        for join_field in join_type.fields.values()
        for source in join_field.sources
        if source.override_label
    )


def draw_override_labels(
    labels: frozenset[str], enabled: frozenset[str], rng: random.Random
) -> frozenset[str]:
    """The labels on for one request: `percent(N)` with probability N/100, others
    when listed in `enabled` (Apollo progressive override)."""
    active = set(enabled & labels)
    for label in labels:
        if label.startswith("percent(") and label.endswith(")"):
            try:
                percent = float(label[8:-1])
            except ValueError:
                continue
            if rng.random() * 100 < percent:
                active.add(label)
    return frozenset(active)


def _with_code(error: GraphQLError, code: str) -> GraphQLError:
    return GraphQLError(
        error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions={**(error.extensions or {}), "code": code},
    )
