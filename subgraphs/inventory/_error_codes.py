"""Give the request errors graphql-core leaves uncoded an Apollo `extensions.code`.

A literal `quantity: 1.5` fails validation (GRAPHQL_VALIDATION_FAILED), a variable
`{"quantity": 1.5}` fails coercion (BAD_USER_INPUT), a broken document fails parsing
(GRAPHQL_PARSE_FAILED); graphql-core reports all three without a code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from strawberry.extensions import SchemaExtension

if TYPE_CHECKING:
    from collections.abc import Iterator

    from graphql.error import GraphQLError

__all__ = ["RequestErrorCodes", "request_error_code"]


def request_error_code(error: GraphQLError) -> str:
    """The Apollo code of an error raised before any resolver ran."""
    if error.message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if error.message.startswith("Variable '$"):
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"


class RequestErrorCodes(SchemaExtension):
    """Adds `extensions.code` to errors that have none and come from no resolver."""

    def on_operation(self) -> Iterator[None]:
        yield
        errors = getattr(self.execution_context.result, "errors", None) or []
        for error in errors:
            extensions = error.extensions or {}
            # Errors with a path come from resolvers: ours carry codes, the rest
            # are masked by the kit.
            if "code" in extensions or error.path is not None:
                continue
            error.extensions = {**extensions, "code": request_error_code(error)}
