"""Refusal: a request the gateway answers with errors before any subgraph sees it.

Every entry point (GET, POST, SSE, both websocket protocols) refuses with this one
shape: the GraphQL errors a client reads, each with `extensions.code`, and the HTTP
status an HTTP client gets. `http_level` refusals (method, media type, size, CSRF,
authentication) keep their status under `application/json`; GraphQL-level ones
(parse, validation, limits, variables) are 200 there, as GraphQL over HTTP asks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql import GraphQLError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from ..types import JSONObject

__all__ = [
    "BAD_REQUEST",
    "BAD_USER_INPUT",
    "Refusal",
    "graphql_error",
    "with_code",
]

BAD_REQUEST = "BAD_REQUEST"
BAD_USER_INPUT = "BAD_USER_INPUT"


class Refusal(Exception):
    """Raised (while reading a request) or returned (by the pipeline) to refuse it."""

    def __init__(
        self,
        errors: Iterable[GraphQLError],
        status: int = 400,
        *,
        http_level: bool = False,
        headers: Mapping[str, str] | None = None,
        data_null: bool = False,
    ) -> None:
        self.errors = tuple(errors)
        # Execution was reached but could not start (a planning failure): the
        # response carries `"data": null` beside the errors.
        self.data_null = data_null
        super().__init__(self.errors[0].message if self.errors else "refused")
        self.status = status
        self.http_level = http_level
        self.headers = dict(headers or {})

    @classmethod
    def of(
        cls,
        message: str,
        code: str = BAD_REQUEST,
        status: int = 400,
        *,
        http_level: bool = True,
        headers: Mapping[str, str] | None = None,
        data_null: bool = False,
        **extensions: Any,
    ) -> Refusal:
        """One error with `code` (and further `extensions`)."""
        error = graphql_error(message, code, **extensions)
        return cls(
            (error,),
            status,
            http_level=http_level,
            headers=headers,
            data_null=data_null,
        )

    @property
    def code(self) -> str:
        """The first error's code."""
        return str((self.errors[0].extensions or {}).get("code", BAD_REQUEST))

    def formatted(self) -> list[JSONObject]:
        return [dict(error.formatted) for error in self.errors]

    def body(self) -> JSONObject:
        """The GraphQL response a client gets."""
        body: JSONObject = {"errors": self.formatted()}
        if self.data_null:
            body["data"] = None
        return body

    def status_for(self, graphql_response_json: bool) -> int:
        """The HTTP status, by the media type of the response (GraphQL over HTTP)."""
        if self.http_level or graphql_response_json:
            return self.status
        return 200

    def __repr__(self) -> str:
        return f"Refusal({self.status}, {self.code}, {self.args[0]!r})"


def graphql_error(message: str, code: str, **extensions: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **extensions})


def with_code(error: GraphQLError, code: str) -> GraphQLError:
    """`error` with `extensions.code` set (graphql-core's errors carry none)."""
    return GraphQLError(
        error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions={**(error.extensions or {}), "code": code},
    )
