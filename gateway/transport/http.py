"""HTTP transport: one pooled keep-alive httpx client per subgraph."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import httpx
import orjson

from .boundary import decode_response, translate_errors

if TYPE_CHECKING:
    from .models import SubgraphRequest, SubgraphResponse

__all__ = ["HttpTransport"]

_HEADERS = {
    "content-type": "application/json",
    "accept": "application/graphql-response+json, application/json",
}


class HttpTransport:
    """POSTs GraphQL requests to one subgraph URL over a client made at start-up."""

    def __init__(
        self,
        name: str,
        url: str,
        *,
        timeout: float = 30.0,
        max_connections: int = 10,
    ) -> None:
        self.name = name
        self.url = url
        self.timeout = timeout
        # The client's own timeout is a backstop; asyncio.timeout bounds the whole call.
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout + 1.0),
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_connections,
            ),
            headers=_HEADERS,
        )

    async def fetch(self, request: SubgraphRequest) -> SubgraphResponse:
        content = orjson.dumps(request.body())
        with translate_errors(self.name, self.timeout):
            async with asyncio.timeout(self.timeout):
                response = await self._client.post(
                    self.url, content=content, headers=dict(request.headers)
                )
            cache_control = response.headers.get("cache-control")
            return decode_response(
                self.name,
                response.status_code,
                response.content,
                cache_control.encode("latin-1") if cache_control else None,
            )

    async def aclose(self) -> None:
        await self._client.aclose()
