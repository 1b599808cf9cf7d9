"""How the gateway reaches a subgraph: one protocol, three implementations.

Every transport has `async def fetch(request: SubgraphRequest) -> SubgraphResponse`
and raises only `gateway.errors.SubgraphError` subclasses; foreign exceptions are
translated at the seam by `translate_errors`.
"""

from __future__ import annotations

from .asgi import AsgiTransport
from .asgi_websocket import AsgiWebSocketTransport
from .boundary import decode_response, translate_errors
from .dedup import DedupTransport
from .entity_cache import EntityCache, EntityCacheTransport
from .http import HttpTransport
from .http11 import Http11Transport
from .mock import MockTransport
from .models import (
    SignedHeaders,
    SubgraphRequest,
    SubgraphResponse,
    SubgraphTransport,
)
from .observed import ObservedTransport, SubgraphHealth
from .subgraph_websocket import SubscriptionTransport, WebSocketTransport

__all__ = [
    "AsgiTransport",
    "AsgiWebSocketTransport",
    "DedupTransport",
    "EntityCache",
    "EntityCacheTransport",
    "Http11Transport",
    "HttpTransport",
    "MockTransport",
    "ObservedTransport",
    "SignedHeaders",
    "SubgraphHealth",
    "SubgraphRequest",
    "SubgraphResponse",
    "SubgraphTransport",
    "SubscriptionTransport",
    "WebSocketTransport",
    "decode_response",
    "translate_errors",
]
