"""The /graphql endpoint: GraphQL over HTTP in front of plan and execution.

GraphQL-over-HTTP (2024 draft): POST with `application/json` bodies and GET with
query parameters (queries only: a mutation over GET is 405). The response is
`application/graphql-response+json` when the client accepts it, with 4xx statuses
for request errors, and `application/json` (always 200 for a well-formed request)
otherwise. Every failure is a GraphQL error with `extensions.code`.
"""

from __future__ import annotations

import logging
import random
from typing import TYPE_CHECKING, Any

import orjson
from graphql import GraphQLError
from graphql.execution.values import get_variable_values
from starlette.responses import HTMLResponse, Response

from .._body import read_body
from ..execution import execute_plan
from .graphiql import GRAPHIQL_HTML
from .operations import (
    OperationCache,
    PreparedOperation,
    RequestRejected,
    draw_override_labels,
    override_labels_of,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from starlette.requests import Request

    from ..settings import GatewaySettings
    from ..supergraph import Supergraph
    from ..transport import SubgraphTransport
    from ..types import JSONObject
    from .operations import PlanOperation

__all__ = ["GraphQLEndpoint"]

logger = logging.getLogger("agora.gateway")

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"

BAD_REQUEST = "BAD_REQUEST"
BAD_USER_INPUT = "BAD_USER_INPUT"


class _Refusal(Exception):
    """A request the endpoint refuses before GraphQL sees it (HTTP-level)."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str = BAD_REQUEST,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = dict(headers or {})


class GraphQLEndpoint:
    """Serves GET and POST /graphql for one supergraph."""

    def __init__(
        self,
        supergraph: Supergraph,
        transports: Mapping[str, SubgraphTransport],
        settings: GatewaySettings,
        plan_operation: PlanOperation,
    ) -> None:
        self.supergraph = supergraph
        self.transports = transports
        self.settings = settings
        self.operations = OperationCache(
            supergraph, plan_operation, settings.operation_cache_size
        )
        self.override_labels = override_labels_of(supergraph)
        self._rng = random.Random()

    async def handle(self, request: Request) -> Response:
        accept = request.headers.get("accept", "")
        media_type = _negotiate(accept)
        if (
            request.method == "GET"
            and self.settings.graphiql
            and "text/html" in accept
            and "query" not in request.query_params
        ):
            return HTMLResponse(GRAPHIQL_HTML)
        try:
            if media_type is None:
                raise _Refusal(406, f"Cannot answer with any of: {accept}")
            params = await self._params(request)
            return await self._execute(request, params, media_type)
        except _Refusal as refusal:
            body = {
                "errors": [
                    {"message": refusal.message, "extensions": {"code": refusal.code}}
                ]
            }
            return _respond(
                body, refusal.status, media_type or APPLICATION_JSON, refusal.headers
            )
        except Exception:
            # A gateway bug: logged with its traceback, answered without one.
            logger.exception("request to /graphql failed")
            body = {
                "errors": [
                    {
                        "message": "Internal server error.",
                        "extensions": {"code": "INTERNAL_SERVER_ERROR"},
                    }
                ]
            }
            return _respond(body, 500, media_type or APPLICATION_JSON)

    async def _params(self, request: Request) -> JSONObject:
        if request.method == "GET":
            query = request.query_params
            params: JSONObject = {
                "query": query.get("query"),
                "operationName": query.get("operationName") or None,
            }
            for name in ("variables", "extensions"):
                raw = query.get(name)
                if raw:
                    try:
                        params[name] = orjson.loads(raw)
                    except orjson.JSONDecodeError:
                        raise _Refusal(400, f"'{name}' is not valid JSON") from None
            return params
        if request.method != "POST":
            raise _Refusal(405, "Use GET or POST.", headers={"allow": "GET, POST"})
        content_type = request.headers.get("content-type", "")
        base_type = content_type.split(";", 1)[0].strip().lower()
        if base_type not in (APPLICATION_JSON, GRAPHQL_RESPONSE_JSON):
            raise _Refusal(415, "POST bodies must be application/json.")
        body = await _read_body(request, self.settings.max_body_bytes)
        try:
            params = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise _Refusal(400, "The request body is not valid JSON.") from None
        if not isinstance(params, dict):
            raise _Refusal(400, "The request body must be a JSON object.")
        return params

    async def _execute(
        self, request: Request, params: JSONObject, media_type: str
    ) -> Response:
        query = params.get("query")
        operation_name = params.get("operationName")
        variables = params.get("variables")
        extensions = params.get("extensions")
        if not isinstance(query, str) or not query:
            raise _Refusal(400, "The request has no 'query' string.")
        if operation_name is not None and not isinstance(operation_name, str):
            raise _Refusal(400, "'operationName' must be a string.")
        if variables is not None and not isinstance(variables, dict):
            raise _Refusal(400, "'variables' must be an object.")
        if extensions is not None and not isinstance(extensions, dict):
            raise _Refusal(400, "'extensions' must be an object.")
        labels = frozenset[str]()
        if self.override_labels:
            labels = draw_override_labels(
                self.override_labels, self.settings.override_labels, self._rng
            )
        prepared = self.operations.prepare(query, operation_name, labels)
        request_error_status = 400 if media_type == GRAPHQL_RESPONSE_JSON else 200
        if isinstance(prepared, RequestRejected):
            return _respond(
                {"errors": [e.formatted for e in prepared.errors]},
                request_error_status,
                media_type,
            )
        if request.method == "GET" and prepared.kind != "query":
            raise _Refusal(
                405,
                f"Only queries can be sent with GET, not a {prepared.kind}.",
                headers={"allow": "POST"},
            )
        if prepared.kind == "subscription":
            raise _Refusal(
                400, "Subscriptions are served over websockets or SSE, not here."
            )
        coerced = _coerce_variables(prepared, self.supergraph, variables or {})
        if isinstance(coerced, list):
            return _respond(
                {"errors": [e.formatted for e in coerced]},
                request_error_status,
                media_type,
            )
        if prepared.plan is None:
            error = prepared.planning_error
            assert error is not None
            body: JSONObject = {
                "errors": [
                    {"message": error.message, "extensions": {"code": error.code}}
                ],
                "data": None,
            }
        else:
            body = await execute_plan(
                prepared.plan,
                prepared.projection,
                coerced,
                self.transports,
                headers=self._forwarded_headers(request),
            )
            if self._wants_explain(request, extensions):
                body["extensions"] = {"queryPlan": str(prepared.plan)}
        return _respond(body, 200, media_type)

    def _forwarded_headers(self, request: Request) -> dict[str, str]:
        return forwarded_headers(request, self.settings)

    def _wants_explain(self, request: Request, extensions: JSONObject | None) -> bool:
        if not self.settings.explain:
            return False
        if extensions and extensions.get("agoraExplain") is True:
            return True
        return request.headers.get("x-agora-explain", "").lower() in ("1", "true")


def forwarded_headers(request: Request, settings: GatewaySettings) -> dict[str, str]:
    """The headers every subgraph request of `request` carries.

    The configured client headers (never a client's `x-agora-*` header: those carry
    identity between gateway and subgraphs), plus the caller's address in
    `x-forwarded-for` and the gateway secret that lets subgraphs believe it.
    """
    headers = request.headers
    forwarded = {
        name: headers[name]
        for name in settings.forward_headers
        if name in headers and not name.startswith("x-agora-")
    }
    client = request.client.host if request.client else ""
    if settings.trust_forwarded_for and headers.get("x-forwarded-for"):
        client = headers["x-forwarded-for"].split(",")[0].strip()
    if client:
        forwarded["x-forwarded-for"] = client
    forwarded["x-agora-gateway-secret"] = settings.gateway_secret
    return forwarded


def _coerce_variables(
    prepared: PreparedOperation, supergraph: Supergraph, inputs: dict[str, Any]
) -> dict[str, Any] | list[GraphQLError]:
    result = get_variable_values(
        supergraph.api_schema,
        prepared.operation.variable_definitions or (),
        inputs,
        max_errors=50,
    )
    if isinstance(result, list):
        return [
            GraphQLError(
                e.message,
                nodes=e.nodes,
                extensions={**(e.extensions or {}), "code": BAD_USER_INPUT},
            )
            for e in result
        ]
    # graphql-core 3.3 returns VariableValues(sources, coerced); 3.2 a plain dict.
    coerced: Mapping[str, Any] = getattr(result, "coerced", result)  # type: ignore[arg-type]  # 3.2 returns the dict itself
    return dict(coerced)


async def _read_body(request: Request, limit: int) -> bytes:
    body = await read_body(request, limit)
    if body is None:
        raise _Refusal(
            413, f"The request body exceeds {limit} bytes.", "PAYLOAD_TOO_LARGE"
        )
    return body


def _negotiate(accept: str) -> str | None:
    """The response media type for an Accept header, None if none is acceptable."""
    if not accept.strip():
        return APPLICATION_JSON
    types = [part.split(";", 1)[0].strip().lower() for part in accept.split(",")]
    if GRAPHQL_RESPONSE_JSON in types:
        return GRAPHQL_RESPONSE_JSON
    if APPLICATION_JSON in types or "*/*" in types or "application/*" in types:
        return APPLICATION_JSON
    if "text/html" in types:
        return APPLICATION_JSON
    return None


def _respond(
    body: JSONObject,
    status: int,
    media_type: str,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type=f"{media_type}; charset=utf-8",
        headers=dict(headers or {}),
    )
