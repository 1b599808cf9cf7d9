"""Apollo `extensions.code`s for the request errors graphql-core reports uncoded.

A broken document fails parsing (GRAPHQL_PARSE_FAILED), a literal `quantity: 1.5`
fails validation (GRAPHQL_VALIDATION_FAILED), a variable `{"quantity": 1.5}` fails
coercion (BAD_USER_INPUT). Parse and validation errors are coded by the phase that
found them; an unknown operation name never gets here (Strawberry answers 400).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from strawberry.extensions import SchemaExtension

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from graphql.error import GraphQLError

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = "BAD_USER_INPUT"


def execution_error_code(error: GraphQLError) -> str | None:
    """The code of a path-less error that graphql-core's execute() returned, if any.

    Spec 6.1.2 (CoerceVariableValues): graphql-core words every variable coercion
    failure as "Variable '$name' ...", and reports nothing else without a path.
    """
    if error.message.startswith("Variable '$"):
        return BAD_USER_INPUT
    return None


def _set_code(errors: Iterable[GraphQLError] | None, code: str | None) -> None:
    if code is None:
        return
    for error in errors or ():
        extensions = error.extensions or {}
        if "code" not in extensions:
            error.extensions = {**extensions, "code": code}


class RequestErrorCodes(SchemaExtension):
    """Adds `extensions.code` to the parse, validation and coercion errors."""

    def on_parse(self) -> Iterator[None]:
        yield
        _set_code(self.execution_context.pre_execution_errors, PARSE_FAILED)

    def on_validate(self) -> Iterator[None]:
        yield
        _set_code(self.execution_context.pre_execution_errors, VALIDATION_FAILED)

    def on_operation(self) -> Iterator[None]:
        yield
        errors = getattr(self.execution_context.result, "errors", None) or []
        for error in errors:
            # Errors with a path come from resolvers: ours carry codes, the rest
            # are masked by MaskInternalErrors.
            if error.path is None:
                _set_code([error], execution_error_code(error))
