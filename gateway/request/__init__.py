"""One request model for every transport: read, identify, check, plan.

GET and POST (`read_http_request`), SSE and both websocket protocols all produce a
GraphQLRequestData and a Caller, and RequestPipeline.prepare checks every policy once
and answers a PreparedRequest or a Refusal.
"""

from __future__ import annotations

from .caller import API_KEY_HEADER, Caller, ClientPolicy, Clients, identify
from .http import HttpGraphQLRequest, read_http_request
from .inflight import Inflight, sharing_key
from .params import GraphQLRequestData, request_data, request_data_from_query_params
from .pipeline import (
    PlanOperation,
    PreparedRequest,
    RequestPipeline,
    Via,
    draw_override_labels,
    override_labels_of,
)
from .refusal import Refusal
from .run import GATEWAY_TIMEOUT, run_request

__all__ = [
    "API_KEY_HEADER",
    "GATEWAY_TIMEOUT",
    "Caller",
    "ClientPolicy",
    "Clients",
    "GraphQLRequestData",
    "HttpGraphQLRequest",
    "Inflight",
    "PlanOperation",
    "PreparedRequest",
    "Refusal",
    "RequestPipeline",
    "Via",
    "draw_override_labels",
    "identify",
    "override_labels_of",
    "read_http_request",
    "request_data",
    "request_data_from_query_params",
    "run_request",
    "sharing_key",
]
