"""Subscriptions: client protocols on /graphql and de-duplicated upstream streams.

graphql-transport-ws and the legacy graphql-ws protocol over websocket, GraphQL over
SSE (distinct connections), one upstream subscription per distinct (subgraph,
document, variables, caller scope), and the plan's `rest` run on every event.
"""

from __future__ import annotations

from .client_websocket import (
    CLIENT_FELL_BEHIND,
    GRAPHQL_TRANSPORT_WS,
    GRAPHQL_WS,
    MESSAGE_TOO_BIG,
    serve_websocket,
)
from .errors import ClientFellBehind, GatewayShuttingDown, SubscriptionEnded
from .hub import Subscriber, SubscriptionHub, UpstreamKey
from .operations import OperationHandle, SubscriptionServer, error_payload
from .outbox import Outbox
from .sse import accepts_event_stream, serve_event_stream
from .wire import Wire, WireProtocol

__all__ = [
    "CLIENT_FELL_BEHIND",
    "GRAPHQL_TRANSPORT_WS",
    "GRAPHQL_WS",
    "MESSAGE_TOO_BIG",
    "ClientFellBehind",
    "GatewayShuttingDown",
    "OperationHandle",
    "Outbox",
    "Subscriber",
    "SubscriptionEnded",
    "SubscriptionHub",
    "SubscriptionServer",
    "UpstreamKey",
    "Wire",
    "WireProtocol",
    "accepts_event_stream",
    "error_payload",
    "serve_event_stream",
    "serve_websocket",
]
