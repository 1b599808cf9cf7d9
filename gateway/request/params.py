"""GraphQLRequestData: the parameters of one GraphQL request, whatever carried it.

GraphQL over HTTP (2024 draft, "Request Parameters"): `query`, `operationName`,
`variables`, `extensions` (and the persisted documents proposal's `documentId`), from
a JSON body, URL query parameters, an SSE request or a websocket `subscribe` payload.
Shape errors are refused here, once, with one wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from .refusal import Refusal

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["GraphQLRequestData", "request_data", "request_data_from_query_params"]


@dataclass(frozen=True, slots=True)
class GraphQLRequestData:
    """A request's parameters, shape-checked (not yet parsed or validated)."""

    query: str | None
    operation_name: str | None = None
    variables: dict[str, Any] | None = None
    extensions: dict[str, Any] | None = None
    # A trusted document's id (GraphQL over HTTP persisted documents), instead of
    # the query.
    document_id: str | None = None


def request_data(params: object, *, http_level: bool = True) -> GraphQLRequestData:
    """The request data of a decoded JSON object; raises Refusal (400, BAD_REQUEST)
    for anything that is not one."""
    if not isinstance(params, dict):
        raise _bad("The request must be a JSON object.", http_level)
    query = params.get("query")
    operation_name = params.get("operationName")
    variables = params.get("variables")
    extensions = params.get("extensions")
    document_id = params.get("documentId")
    if query is not None and not isinstance(query, str):
        raise _bad("'query' must be a string.", http_level)
    if document_id is not None and not isinstance(document_id, str):
        raise _bad("'documentId' must be a string.", http_level)
    if operation_name is not None and not isinstance(operation_name, str):
        raise _bad("'operationName' must be a string.", http_level)
    if variables is not None and not isinstance(variables, dict):
        raise _bad("'variables' must be an object.", http_level)
    if extensions is not None and not isinstance(extensions, dict):
        raise _bad("'extensions' must be an object.", http_level)
    return GraphQLRequestData(
        query, operation_name or None, variables, extensions, document_id or None
    )


def request_data_from_query_params(params: Mapping[str, str]) -> GraphQLRequestData:
    """The request data of a GET request's URL query parameters (JSON-encoded
    `variables` and `extensions`)."""
    decoded: dict[str, Any] = {
        "query": params.get("query"),
        "operationName": params.get("operationName") or None,
        "documentId": params.get("documentId") or None,
    }
    for name in ("variables", "extensions"):
        raw = params.get(name)
        if raw:
            try:
                decoded[name] = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise _bad(f"'{name}' is not valid JSON.", True) from None
    return request_data(decoded)


def _bad(message: str, http_level: bool) -> Refusal:
    return Refusal.of(message, http_level=http_level)
