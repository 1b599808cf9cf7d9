"""A transport that wraps a handler, for tests that drive the executor by hand."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

from .boundary import translate_errors
from .models import SubgraphResponse

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from ..types import JSONObject
    from .models import SubgraphRequest

    Handler = Callable[
        [SubgraphRequest],
        SubgraphResponse | JSONObject | Awaitable[SubgraphResponse | JSONObject],
    ]

__all__ = ["MockTransport"]


class MockTransport:
    """Answers each request with `handler(request)` and records every request.

    The handler returns a SubgraphResponse or a response dict (`{"data": ...}`), sync
    or async; whatever it raises goes through the same translation as real I/O.
    """

    def __init__(self, handler: Handler, *, name: str = "mock") -> None:
        self.handler = handler
        self.name = name
        self.requests: list[SubgraphRequest] = []

    async def fetch(self, request: SubgraphRequest) -> SubgraphResponse:
        self.requests.append(request)
        with translate_errors(request.subgraph, 0.0):
            result = self.handler(request)
            if inspect.isawaitable(result):
                result = await result
        if isinstance(result, SubgraphResponse):
            return result
        return SubgraphResponse(
            data=result.get("data"),
            errors=tuple(result.get("errors") or ()),
            extensions=result.get("extensions"),
        )
