"""Mask unexpected resolver exceptions as INTERNAL_SERVER_ERROR, keep ours."""

from __future__ import annotations

import logging

from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors

from subgraphs.kit.errors import AgoraGraphQLError

logger = logging.getLogger("agora.subgraphs")


def should_mask_error(error: GraphQLError) -> bool:
    """Mask errors raised from inside a resolver unless they are meant for clients.

    Errors with no original error (syntax, validation) and GraphQLErrors raised on
    purpose pass through; AgoraGraphQLError passes with its code.
    """
    original = error.original_error
    if original is None:
        return False
    if isinstance(original, AgoraGraphQLError | GraphQLError):
        return False
    logger.error(
        "unexpected error at %s", error.path, exc_info=(type(original), original, None)
    )
    return True


class MaskInternalErrors(MaskErrors):
    """Strawberry's MaskErrors with our rule and `extensions.code`."""

    def __init__(self) -> None:
        super().__init__(
            should_mask_error=should_mask_error, error_message="Internal server error."
        )

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return GraphQLError(
            message=self.error_message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": "INTERNAL_SERVER_ERROR"},
        )
