"""Mask unexpected resolver exceptions, keep ours, name the transient ones.

A resolver's AgoraGraphQLError reaches the client as raised. A transient fault (a
dropped database connection, Redis unreachable: subgraphs.kit.faults) becomes
SERVICE_UNAVAILABLE with `retryable: true`, or OUTCOME_UNKNOWN when a COMMIT's
answer was lost. A value the database refuses as a value (longer than its column,
a number out of its range: Tortoise's field validation, PostgreSQL's class 22) is
the client's input, not a defect: BAD_USER_INPUT, and nothing of the field is
stored (its transaction rolls back). Anything else is a defect:
INTERNAL_SERVER_ERROR, logged with its traceback, and no word of it in the answer.

What is logged is decided once, by SubgraphSchema.process_errors, which Strawberry
calls with the errors as raised, before they are masked: a defect at ERROR with
its traceback, a transient fault at WARNING, and an error meant for the client
(ours, a refused or invalid document) at DEBUG without a traceback (Strawberry's
own logs every one of them at ERROR with its traceback, so an operator could not
tell a wrong password from a defect).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import strawberry
from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors

from subgraphs.kit.cache_control import CachePolicy
from subgraphs.kit.context import RequestContext
from subgraphs.kit.errors import AgoraGraphQLError
from subgraphs.kit.faults import is_refused_value, translate_fault

if TYPE_CHECKING:
    from collections.abc import Mapping

    from strawberry.types import ExecutionContext

    from subgraphs.kit.cache_control import CacheHint

logger = logging.getLogger("agora.subgraphs")

BAD_VALUE_MESSAGE = "A value is too long or out of range for what it is stored in."


def should_mask_error(error: GraphQLError) -> bool:
    """Mask errors raised from inside a resolver unless they are meant for clients.

    Errors with no original error (syntax, validation) and GraphQLErrors raised on
    purpose pass through; AgoraGraphQLError passes with its code.
    """
    original = error.original_error
    if original is None:
        return False
    return not isinstance(original, AgoraGraphQLError | GraphQLError)


class MaskInternalErrors(MaskErrors):
    """Strawberry's MaskErrors with our rule and `extensions.code`."""

    def __init__(self) -> None:
        super().__init__(
            should_mask_error=should_mask_error, error_message="Internal server error."
        )

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        context = self.execution_context.context
        keyed = isinstance(context, RequestContext) and context.idempotency_key
        fault = (
            None
            if original is None
            else translate_fault(original, idempotency_key=bool(keyed))
        )
        if fault is not None:
            message, extensions = fault.message, fault.extensions
        elif original is not None and is_refused_value(original):
            message, extensions = BAD_VALUE_MESSAGE, {"code": "BAD_USER_INPUT"}
        else:
            message = self.error_message
            extensions = {"code": "INTERNAL_SERVER_ERROR"}
        return GraphQLError(
            message=message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions=extensions,
        )


def log_errors(
    errors: list[GraphQLError], execution_context: ExecutionContext | None
) -> None:
    """Log each error as raised (module docstring): defects with their traceback,
    transient faults as warnings, the client's own at DEBUG."""
    context = execution_context.context if execution_context else None
    keyed = isinstance(context, RequestContext) and bool(context.idempotency_key)
    for error in errors:
        original = error.original_error
        if original is None or isinstance(original, AgoraGraphQLError | GraphQLError):
            code = (error.extensions or {}).get("code")
            logger.debug("refused at %s: %s %s", error.path, code, error.message)
        elif translate_fault(original, idempotency_key=keyed) is not None:
            logger.warning("transient fault at %s: %r", error.path, original)
        elif is_refused_value(original):
            # The client's input, but a check is missing before the database.
            logger.info("value refused by the database at %s: %r", error.path, original)
        else:
            logger.error(
                "unexpected error at %s",
                error.path,
                exc_info=(type(original), original, original.__traceback__),
            )


class SubgraphSchema(strawberry.federation.Schema):
    """A subgraph's federation schema, whose errors are logged by log_errors
    rather than each at ERROR with its traceback.

    `cache_hints` (keyed "Type" or "Type.fieldName", GraphQL names) say how long
    its query answers may be reused (subgraphs.kit.cache_control); a key naming
    no object type or field raises InvalidCacheHint here.
    """

    def __init__(
        self,
        *args: Any,
        cache_hints: Mapping[str, CacheHint] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.cache_policy = CachePolicy(self._schema, dict(cache_hints or {}))

    def process_errors(
        self,
        errors: list[GraphQLError],
        execution_context: ExecutionContext | None = None,
    ) -> None:
        log_errors(errors, execution_context)
