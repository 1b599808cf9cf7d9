"""How the gateway reaches a subgraph: one protocol, three implementations.

Every transport has `async def fetch(request: SubgraphRequest) -> SubgraphResponse`
and raises only `gateway.errors.SubgraphError` subclasses; foreign exceptions are
translated at the seam by `translate_errors`.
"""

from __future__ import annotations

from .asgi import AsgiTransport
from .boundary import decode_response, translate_errors
from .http import HttpTransport
from .mock import MockTransport
from .models import SubgraphRequest, SubgraphResponse, SubgraphTransport

__all__ = [
    "AsgiTransport",
    "HttpTransport",
    "MockTransport",
    "SubgraphRequest",
    "SubgraphResponse",
    "SubgraphTransport",
    "decode_response",
    "translate_errors",
]
