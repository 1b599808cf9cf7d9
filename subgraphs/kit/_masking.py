"""Mask unexpected resolver exceptions, keep ours, name the transient ones.

A resolver's AgoraGraphQLError reaches the client as raised. A transient fault (a
dropped database connection, Redis unreachable: subgraphs.kit.faults) becomes
SERVICE_UNAVAILABLE with `retryable: true`, or OUTCOME_UNKNOWN when a COMMIT's
answer was lost; anything else is a defect: INTERNAL_SERVER_ERROR, logged with
its traceback, and no word of it in the answer.
"""

from __future__ import annotations

import logging

from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors

from subgraphs.kit.context import RequestContext
from subgraphs.kit.errors import AgoraGraphQLError
from subgraphs.kit.faults import translate_fault

logger = logging.getLogger("agora.subgraphs")


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
            logger.warning("transient fault at %s: %r", error.path, original)
            return GraphQLError(
                message=fault.message,
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                original_error=None,
                extensions=fault.extensions,
            )
        if original is not None:
            logger.error(
                "unexpected error at %s",
                error.path,
                exc_info=(type(original), original, original.__traceback__),
            )
        return GraphQLError(
            message=self.error_message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": "INTERNAL_SERVER_ERROR"},
        )
