"""Read a GraphQL request from HTTP: GET or POST, for JSON answers and SSE alike.

The rules of GraphQL over HTTP, applied the same way to every HTTP entry point:
GET takes URL query parameters, POST an `application/json` body of at most
`max_body_bytes`; any other method is 405 and any other POST body 415. CSRF
prevention (as Apollo Server and the GraphQL-over-HTTP draft's security notes
describe it): a request a browser could send cross-site without a preflight (a GET,
or a simple content type) must carry a non-empty preflight-forcing header.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson

from .._body import read_body
from .multipart import (
    DEFAULT_MAX_UPLOAD_BYTES,
    MULTIPART_FORM_DATA,
    read_multipart_request,
)
from .params import request_data, request_data_from_query_params
from .refusal import Refusal

if TYPE_CHECKING:
    from starlette.requests import Request

    from ..config import CsrfConfig
    from .params import GraphQLRequestData

__all__ = ["HttpGraphQLRequest", "read_http_request"]

APPLICATION_JSON = "application/json"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
# Content types a cross-site form or fetch may send without a CORS preflight.
_SIMPLE_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
_JSON_TYPES = frozenset({APPLICATION_JSON, GRAPHQL_RESPONSE_JSON})


@dataclass(frozen=True, slots=True)
class HttpGraphQLRequest:
    """A GraphQL request read off HTTP; `method` decides what it may run. A POST
    of a JSON array is a batch: `batch` holds each item (or its shape refusal)
    and `data` is None."""

    data: GraphQLRequestData | None
    method: str
    batch: tuple[GraphQLRequestData | Refusal, ...] | None = None


async def read_http_request(
    request: Request,
    *,
    max_body_bytes: int,
    csrf: CsrfConfig,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
) -> HttpGraphQLRequest:
    """The request's GraphQL parameters; raises Refusal for a method, media type,
    size or CSRF rule broken, before anything is parsed."""
    method = request.method
    if method not in ("GET", "POST"):
        raise Refusal.of("Use GET or POST.", status=405, headers={"allow": "GET, POST"})
    content_type = request.headers.get("content-type")
    base_type = _base_type(content_type)
    if method == "POST" and base_type not in _JSON_TYPES | {MULTIPART_FORM_DATA}:
        raise Refusal.of("POST bodies must be application/json.", status=415)
    if csrf.enabled and _may_skip_preflight(base_type):
        _require_preflight_header(request, csrf)
    if method == "POST" and base_type == MULTIPART_FORM_DATA:
        data = await read_multipart_request(
            request, max_field_bytes=max_body_bytes, max_upload_bytes=max_upload_bytes
        )
        return HttpGraphQLRequest(data, method)
    if method == "GET":
        return HttpGraphQLRequest(
            request_data_from_query_params(request.query_params), method
        )
    body = await read_body(request, max_body_bytes)
    if body is None:
        raise Refusal.of(
            f"The request body exceeds {max_body_bytes} bytes.",
            "PAYLOAD_TOO_LARGE",
            413,
        )
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise Refusal.of("The request body is not valid JSON.") from None
    if isinstance(decoded, list):
        if not decoded:
            raise Refusal.of("A batch needs at least one operation.")
        return HttpGraphQLRequest(None, method, tuple(_item(i) for i in decoded))
    return HttpGraphQLRequest(request_data(decoded), method)


def _item(params: object) -> GraphQLRequestData | Refusal:
    try:
        return request_data(params, http_level=False)
    except Refusal as refusal:
        return refusal


def _base_type(content_type: str | None) -> str | None:
    if content_type is None:
        return None
    return content_type.split(";", 1)[0].strip().lower()


def _may_skip_preflight(base_type: str | None) -> bool:
    return base_type is None or base_type in _SIMPLE_CONTENT_TYPES


def _require_preflight_header(request: Request, csrf: CsrfConfig) -> None:
    headers = request.headers
    if any(headers.get(name, "").strip() for name in csrf.required_headers):
        return
    raise Refusal.of(
        "This operation has been blocked as a potential Cross-Site Request Forgery "
        "(CSRF). Send a 'content-type' that is not one of "
        f"{', '.join(sorted(_SIMPLE_CONTENT_TYPES))}, or a non-empty value for one "
        f"of the headers: {', '.join(csrf.required_headers)}.",
        "CSRF_ERROR",
    )
